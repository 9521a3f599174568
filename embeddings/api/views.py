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

    class UsageSerializer(serializers.Serializer[selectors.UsageTotals]):
        requests = serializers.IntegerField()
        inputs = serializers.IntegerField()
        text_tokens = serializers.IntegerField()
        images = serializers.IntegerField()
        image_pixels = serializers.IntegerField()

    class UsageWindowsSerializer(serializers.Serializer[dict[str, selectors.UsageTotals]]):
        today = serializers.DictField()
        last_30_days = serializers.DictField()

    progress = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()

    class Meta:
        model = EmbeddingSpace
        fields = ["id", "name", "status", "provider_alias", "model_name", "dimensions", "embeds_text",
                  "embeds_images", "index_type", "created_at", "activated_at", "progress",
                  "usage"]  # fmt: skip

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj: EmbeddingSpace) -> dict[str, float]:
        return dict(self.ProgressSerializer(selectors.space_progress(space=obj)).data)

    @extend_schema_field(UsageWindowsSerializer)
    def get_usage(self, obj: EmbeddingSpace) -> dict[str, dict[str, int]]:
        """The provider alias's usage (shared by every space on that alias)."""
        return {
            window: dict(
                self.UsageSerializer(
                    selectors.provider_usage(alias=obj.provider_alias, days=days)
                ).data
            )
            for window, days in (("today", 1), ("last_30_days", 30))
        }


class SpaceListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Embedding spaces and their progress", responses=SpaceOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        spaces = selectors.space_list()
        return Response(SpaceOutputSerializer(spaces, many=True).data)
