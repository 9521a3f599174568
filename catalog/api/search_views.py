"""Search API: POST /search/ (JSON or multipart), GET /search/?q=, GET /items/{id}/similar/."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import search
from catalog.api.fields import QUERY_IGNORED_KEYS, refuse_unknown_keys
from catalog.api.serializers import MAX_ID, SearchInputSerializer, SearchOutputSerializer
from catalog.api.views import CatalogApi, _is_curator
from searchapp.parsers import API_PARSERS

# Flat (query string and multipart) search parameters; the JSON body's `filters` object
# comes flat as category / price_min / price_max / attr.<name>.
FILTER_KEYS = ("category", "price_min", "price_max")
FORM_KEYS: list[str] = [
    "q",
    *(str(name) for name in SearchInputSerializer().fields if name != "filters"),
    *FILTER_KEYS,
    "attr.<name>",
    "filters",
]
SIMILAR_KEYS = ["k", "page"]


def _bounded(kind: str, low: float, high: float | None = None) -> dict[str, Any]:
    return {"type": kind, "minimum": low, **({"maximum": high} if high is not None else {})}


PAGE_PARAMETERS = [
    OpenApiParameter("k", _bounded("integer", 1, 100), description="results per page"),
    OpenApiParameter("page", _bounded("integer", 1, 100)),
]


def _respond(request: Request, data: dict[str, Any]) -> Response:
    serializer = SearchInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    results = search.item_search(query=serializer.to_query(include_inactive=_is_curator(request)))
    return Response(SearchOutputSerializer(results, context={"request": request}).data)


def _form_data(request: Request) -> dict[str, Any]:
    """Multipart / form bodies and query strings are flat: filters come as category
    (repeatable), price_min, price_max, and attr.<name>=<value>, or as a JSON `filters`."""
    source: Any = request.data if request.method == "POST" else request.query_params
    ignored = SearchInputSerializer.ignored_keys | (
        QUERY_IGNORED_KEYS if request.method == "GET" else frozenset()
    )
    refuse_unknown_keys(
        {key: None for key in source if not key.startswith("attr.")}, FORM_KEYS, ignored=ignored
    )
    data: dict[str, Any] = {}
    filters: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for key in source:
        if key in ignored:
            continue
        values = source.getlist(key) if hasattr(source, "getlist") else [source[key]]
        if key == "category":
            filters["category"] = values
        elif key in FILTER_KEYS:
            filters[key] = values[-1]
        elif key.startswith("attr."):
            attributes[key.removeprefix("attr.")] = values[-1]
        elif key == "q":
            data["text"] = values[-1]
        elif key == "filters":
            try:
                filters.update(json.loads(values[-1]))
            except (ValueError, TypeError):
                data["filters"] = "not json"
        else:
            data[key] = values[-1]
    if attributes:
        filters["attributes"] = attributes
    if filters and "filters" not in data:
        data["filters"] = filters
    return data


class SearchApi(APIView):
    permission_classes = [AllowAny]
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
        request=SearchInputSerializer,
        responses=SearchOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        if not request.content_type.startswith("application/json"):
            return _respond(request, _form_data(request))
        if not isinstance(request.data, Mapping):
            raise ValidationError(
                {"non_field_errors": ['The JSON body must be an object, e.g. {"text": "lamp"}.']}
            )
        return _respond(request, dict(request.data))

    @extend_schema(
        summary="Search with query parameters",
        description=(
            "The POST search's fields as query parameters (no image): `q` is the text, "
            "filters are category (repeatable), price_min, price_max and attr.<name>=<value>. "
            "An unknown parameter is a 400 that lists the known ones."
        ),
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
        ],
        responses=SearchOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        return _respond(request, _form_data(request))


class SimilarItemsApi(CatalogApi):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="More like this item",
        parameters=PAGE_PARAMETERS,
        responses=SearchOutputSerializer,
    )
    def get(self, request: Request, item_id: int) -> Response:
        refuse_unknown_keys(request.query_params, SIMILAR_KEYS, ignored=QUERY_IGNORED_KEYS)
        item = self.get_item(request, item_id)
        data = {
            key: request.query_params[key] for key in SIMILAR_KEYS if key in request.query_params
        }
        return _respond(request, {**data, "item_id": item.pk, "mode": "semantic"})
