"""Search API: POST /search/ (JSON or multipart), GET /search/?q=, GET /items/{id}/similar/."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.fields import QUERY_IGNORED_KEYS, refuse_unknown_keys
from catalog.api.views import CatalogApi, is_curator
from search.api.serializers import FacetsSerializer, SearchOutputSerializer, SuggestionsSerializer
from search.facets import facets_count
from search.parse import (
    MAX_ID,
    SearchFiltersSerializer,
    SearchInputSerializer,
    filter_from_data,
    params_data,
    query_from_data,
    query_from_params,
)
from search.query import SearchQuery, UnknownItem
from search.service import item_search
from search.signals import search_report
from search.suggest import MAX_PREFIX, suggestions
from search.types import SortOrder
from searchapp.db import search_reads
from searchapp.parsers import API_PARSERS

SIMILAR_KEYS = ["k", "page"]


def _bounded(kind: str, low: float, high: float | None = None) -> dict[str, Any]:
    return {"type": kind, "minimum": low, **({"maximum": high} if high is not None else {})}


PAGE_PARAMETERS = [
    OpenApiParameter("k", _bounded("integer", 1, 100), description="results per page"),
    OpenApiParameter("page", _bounded("integer", 1, 100)),
]


# Schema only: what a multipart POST /search/ carries (the flat fields; validated by
# query_from_params like the query string). Its own component, so that generated clients
# send multipart for it and JSON for SearchInput.
SEARCH_MULTIPART_INPUT = inline_serializer(
    "SearchMultipartInput",
    {
        "text": serializers.CharField(required=False, max_length=1000),
        "text_weight": serializers.FloatField(required=False, min_value=0, max_value=10),
        "negative_text": serializers.CharField(required=False, max_length=1000),
        "negative_weight": serializers.FloatField(required=False, min_value=0, max_value=10),
        "image": serializers.ImageField(
            required=False, help_text="the query image (used in memory, never stored)"
        ),
        "image_weight": serializers.FloatField(required=False, min_value=0, max_value=10),
        "item_id": serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID),
        "item_weight": serializers.FloatField(required=False, min_value=0, max_value=10),
        "mode": serializers.ChoiceField(["hybrid", "semantic", "lexical"], required=False),
        "category": serializers.ListField(
            child=serializers.CharField(max_length=255), required=False
        ),
        "price_min": serializers.DecimalField(12, 2, min_value=0, required=False),
        "price_max": serializers.DecimalField(12, 2, min_value=0, required=False),
        "k": serializers.IntegerField(required=False, min_value=1, max_value=100),
        "page": serializers.IntegerField(required=False, min_value=1, max_value=100),
        "min_score_ratio": serializers.FloatField(required=False, min_value=0, max_value=1),
        "sort": serializers.ChoiceField([order.value for order in SortOrder], required=False),
        "cutoff": serializers.CharField(
            required=False, help_text="auto (default), off, or a share of the best score 0-1"
        ),
        "facets": serializers.BooleanField(required=False),
    },
)

SEARCH_EXAMPLES = [
    OpenApiExample(
        "Text", value={"text": "red running shoes", "k": 12}, request_only=True,
        media_type="application/json",
    ),
    OpenApiExample(
        "Text with filters",
        value={"text": "lamp", "filters": {"category": ["lighting"], "price_max": "80.00"}},
        request_only=True, media_type="application/json",
    ),
    OpenApiExample(
        "Image as a data URL", value={"image": "data:image/png;base64,iVBORw0KGgo..."},
        request_only=True, media_type="application/json",
    ),
    OpenApiExample(
        "More like this item", value={"item_id": 42, "mode": "semantic"}, request_only=True,
        media_type="application/json",
    ),
]  # fmt: skip


def _respond(request: Request, query: SearchQuery) -> Response:
    try:
        # Curators read default: their searches see the changes they just made.
        with search_reads(fresh=is_curator(request)):
            results = item_search(query=query)
    except UnknownItem as exc:
        # The same answer as /items/{id}/similar/ for an item the caller may not see.
        raise Http404 from exc
    session = getattr(request, "session", None)
    search_id = search_report(
        SearchApi, query=query, results=results, source="api",
        session_key=request.headers.get("X-Search-Session") or (session and session.session_key),
    )  # fmt: skip
    context = {"request": request, "search_id": search_id}
    return Response(SearchOutputSerializer(results, context=context).data)


def _flat_query(request: Request) -> SearchQuery:
    """Query strings and multipart / form bodies are flat: filters come as category
    (repeatable), price_min, price_max, and attr.<name>=<value>, or as a JSON `filters`."""
    get = request.method == "GET"
    return query_from_params(
        request.query_params if get else request.data,
        include_inactive=is_curator(request),
        ignored=QUERY_IGNORED_KEYS if get else frozenset(),
    )


class SearchApi(APIView):
    permission_classes = [AllowAny]
    extra_error_codes = ("404",)  # more like this of an item that is not there for the caller
    parser_classes = API_PARSERS

    @extend_schema(
        summary="Search: text, image, both, more like this",
        description=(
            "JSON: text, negative_text, image (a data URL or an http(s) URL), item_id, their "
            "weights, filters {category: [..], price_min, price_max, attributes: {name: value}}, "
            "mode (hybrid | semantic | lexical), k, page, min_score_ratio. Multipart: the same "
            "fields flat, `image` as a file, filters as category / price_min / price_max / "
            "attr.<name>. The query image is used in memory and never stored."
        ),
        operation_id="search",
        tags=["search"],
        request={
            "application/json": SearchInputSerializer,
            "multipart/form-data": SEARCH_MULTIPART_INPUT,
        },
        responses=SearchOutputSerializer,
        examples=SEARCH_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        if not request.content_type.startswith("application/json"):
            return _respond(request, _flat_query(request))
        if not isinstance(request.data, Mapping):
            raise ValidationError(
                {"non_field_errors": ['The JSON body must be an object, e.g. {"text": "lamp"}.']}
            )
        query = query_from_data(request.data, include_inactive=is_curator(request))
        return _respond(request, query)

    @extend_schema(
        summary="Search with query parameters",
        description=(
            "The POST search's fields as query parameters (no image): `q` is the text, "
            "filters are category (repeatable), price_min, price_max and attr.<name>=<value>. "
            "An unknown parameter is a 400 that lists the known ones."
        ),
        operation_id="search_by_params",
        tags=["search"],
        parameters=[
            OpenApiParameter("q", str, description="the text to search for"),
            OpenApiParameter("negative_text", str, description="push results away from this"),
            OpenApiParameter(
                "item_id", _bounded("integer", 1, MAX_ID), description="more like this"
            ),
            OpenApiParameter("mode", str, enum=["hybrid", "semantic", "lexical"]),
            OpenApiParameter("category", str, many=True),
            OpenApiParameter("price_min", _bounded("number", 0)),
            OpenApiParameter("price_max", _bounded("number", 0)),
            *(
                OpenApiParameter(name, _bounded("number", 0, 10))
                for name in ("text_weight", "negative_weight", "item_weight")
            ),
            *PAGE_PARAMETERS,
            OpenApiParameter("min_score_ratio", _bounded("number", 0, 1)),
            OpenApiParameter("sort", str, enum=[order.value for order in SortOrder]),
            OpenApiParameter(
                "cutoff", str, description="auto (default), off, or a share of the best score 0-1"
            ),
            OpenApiParameter("facets", bool, description="count facets (default true)"),
            OpenApiParameter(
                "attr.<name>", str, many=True, description="attribute value (repeat: any of)"
            ),
        ],
        responses=SearchOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        return _respond(request, _flat_query(request))


class SimilarItemsApi(CatalogApi):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="More like this item",
        operation_id="items_similar",
        tags=["search"],
        parameters=PAGE_PARAMETERS,
        responses=SearchOutputSerializer,
    )
    def get(self, request: Request, item_id: int) -> Response:
        refuse_unknown_keys(request.query_params, SIMILAR_KEYS, ignored=QUERY_IGNORED_KEYS)
        item = self.get_item(request, item_id)
        params = {key: request.query_params.getlist(key) for key in SIMILAR_KEYS}
        query = query_from_params(
            {**params, "item_id": [str(item.pk)], "mode": ["semantic"]},
            include_inactive=is_curator(request),
        )
        return _respond(request, query)


class FacetsApi(APIView):
    """Facets without a query: the catalog under the same filters as a search."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Facet counts of the catalog under filters (browse without a query)",
        operation_id="facets",
        tags=["search"],
        parameters=[
            OpenApiParameter("category", str, many=True),
            OpenApiParameter("price_min", _bounded("number", 0)),
            OpenApiParameter("price_max", _bounded("number", 0)),
            OpenApiParameter("attr.<name>", str, many=True),
        ],
        responses=FacetsSerializer,
    )
    def get(self, request: Request) -> Response:
        data = params_data(request.query_params, ignored=QUERY_IGNORED_KEYS)
        unknown = set(data) - {"filters"}
        if unknown:
            raise ValidationError({key: ["Not a filter here."] for key in sorted(unknown)})
        serializer = SearchFiltersSerializer(data=data.get("filters", {}))
        serializer.is_valid(raise_exception=True)
        item_filter = filter_from_data(
            serializer.validated_data, include_inactive=is_curator(request)
        )
        with search_reads(fresh=is_curator(request)):
            facets = facets_count(item_filter=item_filter)
        return Response(FacetsSerializer(facets).data)


class SuggestApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Suggestions while typing",
        operation_id="suggest",
        tags=["search"],
        description=(
            "Completed queries, matching categories and the top items by title for a prefix "
            "(at least 2 characters; typo tolerant). Fewer characters answer empty lists."
        ),
        parameters=[OpenApiParameter("q", str, required=True, description="what was typed")],
        responses=SuggestionsSerializer,
    )
    def get(self, request: Request) -> Response:
        refuse_unknown_keys(request.query_params, ["q"], ignored=QUERY_IGNORED_KEYS)
        typed = request.query_params.get("q")
        if typed is None:
            raise ValidationError({"q": ["Give q, what was typed."]})
        if len(typed) > MAX_PREFIX or "\x00" in typed:
            raise ValidationError({"q": [f"At most {MAX_PREFIX} characters of text."]})
        with search_reads():
            found = suggestions(typed)
        return Response(SuggestionsSerializer(found, context={"request": request}).data)
