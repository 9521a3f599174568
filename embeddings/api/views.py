from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from embeddings import selectors
from embeddings.models import EmbeddingSpace


class SpaceOutputSerializer(serializers.ModelSerializer[EmbeddingSpace]):
    class ProgressSerializer(serializers.Serializer[selectors.SpaceProgress]):
        total = serializers.IntegerField()
        ready = serializers.IntegerField()
        pending = serializers.IntegerField()
        failed = serializers.IntegerField()
        missing = serializers.IntegerField()
        percent_ready = serializers.FloatField()

    progress = serializers.SerializerMethodField()

    class Meta:
        model = EmbeddingSpace
        fields = ["id", "name", "status", "provider_alias", "model_name", "dimensions", "embeds_text",
                  "embeds_images", "created_at", "activated_at", "progress"]  # fmt: skip

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj: EmbeddingSpace) -> dict[str, float]:
        return dict(self.ProgressSerializer(selectors.space_progress(space=obj)).data)


class SpaceListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Embedding spaces and their progress", responses=SpaceOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        spaces = selectors.space_list()
        return Response(SpaceOutputSerializer(spaces, many=True).data)
