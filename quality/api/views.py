"""GET /api/v1/quality/findings/: the findings, for curators."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.fields import QUERY_IGNORED_KEYS, StrictInputSerializer
from quality import selectors
from quality.models import Finding, FindingKind
from searchapp.api import Pagination


class CanViewFindings(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("quality.view_finding"))


class FindingFilterSerializer(StrictInputSerializer):
    extra_known_keys = ("page", "page_size")
    ignored_keys = QUERY_IGNORED_KEYS

    kind = serializers.ChoiceField(choices=FindingKind.choices, required=False)
    status = serializers.ChoiceField(choices=Finding.Status.choices, required=False)
    space = serializers.IntegerField(required=False, min_value=1)


class FindingOutputSerializer(serializers.ModelSerializer[Finding]):
    class MemberSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField(source="item.id")
        external_id = serializers.CharField(source="item.external_id")
        title = serializers.CharField(source="item.title")
        category = serializers.CharField(source="item.category")
        is_active = serializers.BooleanField(source="item.is_active")

    items = MemberSerializer(source="members", many=True)
    space: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = Finding
        fields = ["id", "kind", "status", "score", "space", "items", "detail", "detected_at",
                  "updated_at"]  # fmt: skip


class FindingListApi(APIView):
    permission_classes = [CanViewFindings]
    pagination_class = Pagination

    @extend_schema(
        summary="Catalog quality findings (needs quality.view_finding)",
        parameters=[FindingFilterSerializer],
        responses=FindingOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = FindingFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        findings = selectors.finding_list(
            kind=data.get("kind"), status=data.get("status"), space_id=data.get("space")
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(findings, request, view=self)
        return paginator.get_paginated_response(FindingOutputSerializer(page, many=True).data)
