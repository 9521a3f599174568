"""Curation API: synonym groups (/synonyms/) and query rules (/rules/). Staff read; writes
need the model's add / change / delete permission (search.add_queryrule, ...)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.fields import StrictCharField, StrictInputSerializer
from search.curation import (
    query_rule_delete,
    query_rule_save,
    synonym_group_delete,
    synonym_group_save,
)
from search.models import QueryRule, SynonymGroup
from searchapp.api import Pagination
from searchapp.parsers import API_PARSERS
from searchapp.schema import ERROR

STAFF_ONLY = {403: ERROR}


class CurationPermission(DjangoModelPermissions):
    """Reads: staff. Writes: the model's add / change / delete permission."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        return bool(super().has_permission(request, view))


class SynonymGroupSerializer(serializers.ModelSerializer[SynonymGroup]):
    class Meta:
        model = SynonymGroup
        fields = ["id", "kind", "terms", "source", "expand_semantic", "is_active",
                  "created_at", "updated_at"]  # fmt: skip


class SynonymGroupInputSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=SynonymGroup.Kind.choices)
    terms = serializers.ListField(child=StrictCharField(max_length=200), max_length=50)
    source = StrictCharField(max_length=200, required=False, allow_blank=True)  # type: ignore[assignment]
    expand_semantic = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class QueryRuleSerializer(serializers.ModelSerializer[QueryRule]):
    class Meta:
        model = QueryRule
        fields = ["id", "name", "position", "is_active", "match", "condition", "categories",
                  "starts_at", "ends_at", "pins", "hide", "boosts", "filters", "replace_query",
                  "created_at", "updated_at"]  # fmt: skip


class QueryRuleInputSerializer(StrictInputSerializer):
    name = StrictCharField(max_length=200)
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    is_active = serializers.BooleanField(required=False)
    match = serializers.ChoiceField(choices=QueryRule.Match.choices, required=False)
    condition = StrictCharField(max_length=500)
    categories = serializers.ListField(
        child=StrictCharField(max_length=255), max_length=50, required=False
    )
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    pins = serializers.ListField(
        child=serializers.DictField(), max_length=100, required=False,
        help_text='[{"item": "<external id>", "position": 1}]',
    )  # fmt: skip
    hide = serializers.ListField(
        child=StrictCharField(max_length=255), max_length=1000, required=False,
        help_text="external ids",
    )  # fmt: skip
    boosts = serializers.ListField(
        child=serializers.DictField(), max_length=100, required=False,
        help_text='[{"item" | "category": "...", "factor": 2}, '
        '{"attribute": {"color": "red"}, "factor": 0.5}]',
    )  # fmt: skip
    filters = serializers.DictField(required=False, help_text="as the search API's filters")
    replace_query = StrictCharField(max_length=500, required=False, allow_blank=True)


class CurationApi(APIView):
    """One model's list and detail: validated by its serializer, then by the model's own
    checks through its save service (unknown external ids, bad shapes: 400)."""

    permission_classes = [CurationPermission]
    parser_classes = API_PARSERS
    model: ClassVar[type[Model]]
    input_serializer: ClassVar[type[StrictInputSerializer]]
    output_serializer: ClassVar[type[serializers.ModelSerializer[Any]]]

    def get_queryset(self) -> Any:
        return self.model._default_manager.all()

    def save(self, instance: Any) -> Any:
        raise NotImplementedError

    def remove(self, instance: Any) -> None:
        raise NotImplementedError

    def found(self, pk: int) -> Any:
        try:
            return self.get_queryset().get(pk=pk)
        except self.model.DoesNotExist as exc:  # type: ignore[attr-defined]
            raise Http404 from exc

    def listed(self, request: Request) -> Response:
        paginator = Pagination()
        page: list[Any] | None = paginator.paginate_queryset(
            self.get_queryset(), request, view=self
        )
        return paginator.get_paginated_response(self.output_serializer(page, many=True).data)

    def written(self, request: Request, instance: Any, *, partial: bool, code: int) -> Response:
        serializer = self.input_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        saved = self.save(instance)
        return Response(self.output_serializer(saved).data, status=code)

    def removed(self, pk: int) -> Response:
        self.remove(self.found(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SynonymApi(CurationApi):
    model = SynonymGroup
    input_serializer = SynonymGroupInputSerializer
    output_serializer = SynonymGroupSerializer

    def save(self, instance: Any) -> Any:
        return synonym_group_save(group=instance)

    def remove(self, instance: Any) -> None:
        synonym_group_delete(group=instance)


class RuleApi(CurationApi):
    model = QueryRule
    input_serializer = QueryRuleInputSerializer
    output_serializer = QueryRuleSerializer

    def save(self, instance: Any) -> Any:
        return query_rule_save(rule=instance)

    def remove(self, instance: Any) -> None:
        query_rule_delete(rule=instance)


class SynonymListApi(SynonymApi):
    pagination_class = Pagination

    @extend_schema(summary="List synonym groups (staff)",
                   responses={200: SynonymGroupSerializer(many=True), **STAFF_ONLY})  # fmt: skip
    def get(self, request: Request) -> Response:
        return self.listed(request)

    @extend_schema(summary="Create a synonym group (search.add_synonymgroup)",
                   request=SynonymGroupInputSerializer,
                   responses={201: SynonymGroupSerializer})  # fmt: skip
    def post(self, request: Request) -> Response:
        return self.written(request, SynonymGroup(), partial=False, code=status.HTTP_201_CREATED)


class SynonymDetailApi(SynonymApi):
    @extend_schema(summary="Get a synonym group (staff)",
                   responses={200: SynonymGroupSerializer, **STAFF_ONLY})  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        return Response(SynonymGroupSerializer(self.found(pk)).data)

    @extend_schema(summary="Change a synonym group (search.change_synonymgroup)",
                   request=SynonymGroupInputSerializer, responses=SynonymGroupSerializer)  # fmt: skip
    def patch(self, request: Request, pk: int) -> Response:
        return self.written(request, self.found(pk), partial=True, code=status.HTTP_200_OK)

    @extend_schema(summary="Delete a synonym group (search.delete_synonymgroup)",
                   responses={204: None})  # fmt: skip
    def delete(self, request: Request, pk: int) -> Response:
        return self.removed(pk)


class RuleListApi(RuleApi):
    pagination_class = Pagination

    @extend_schema(summary="List query rules in order (staff)",
                   responses={200: QueryRuleSerializer(many=True), **STAFF_ONLY})  # fmt: skip
    def get(self, request: Request) -> Response:
        return self.listed(request)

    @extend_schema(summary="Create a query rule (search.add_queryrule)",
                   request=QueryRuleInputSerializer, responses={201: QueryRuleSerializer})  # fmt: skip
    def post(self, request: Request) -> Response:
        return self.written(request, QueryRule(), partial=False, code=status.HTTP_201_CREATED)


class RuleDetailApi(RuleApi):
    @extend_schema(summary="Get a query rule (staff)",
                   responses={200: QueryRuleSerializer, **STAFF_ONLY})  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        return Response(QueryRuleSerializer(self.found(pk)).data)

    @extend_schema(summary="Change a query rule (search.change_queryrule)",
                   request=QueryRuleInputSerializer, responses=QueryRuleSerializer)  # fmt: skip
    def patch(self, request: Request, pk: int) -> Response:
        return self.written(request, self.found(pk), partial=True, code=status.HTTP_200_OK)

    @extend_schema(summary="Delete a query rule (search.delete_queryrule)", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        return self.removed(pk)
