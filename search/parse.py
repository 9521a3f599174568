"""The parse stage: a request's parameters in, a validated `SearchQuery` out.

Two shapes come in. JSON bodies are typed: `filters` is an object, numbers are JSON numbers,
categories a list. Query strings, multipart bodies, the browser's form and the command line
are flat: `q`, `category` (repeatable), `price_min`, `price_max`, `attr.<name>`, a JSON
`filters` string, and the other fields by name, every value text. `params_data` turns the
flat shape into the typed one, and one serializer validates both (`query_from_data`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.fields import (
    QUERY_IGNORED_KEYS,
    FiniteFloatField,
    ImageInputField,
    StrictCharField,
    StrictInputSerializer,
    bounded_integer,
    refuse_unknown_keys,
)
from catalog.filters import ItemFilter
from catalog.models import storable_text_problem
from search.query import LEXICAL_NEEDS_TEXT, NOTHING_TO_SEARCH, SearchQuery
from search.types import SearchMode, SortOrder

# Postgres bigint: the largest id there can be.
MAX_ID = 2**63 - 1
FLAT_FILTER_KEYS = ("category", "price_min", "price_max")
# Numbers in a JSON body are JSON numbers: "5" is refused there (flat parameters are text).
# Prices are the exception, declared as such: a JSON number or a decimal string ("12.50").
TYPED_NUMBER_KEYS = frozenset(
    {"text_weight", "negative_weight", "image_weight", "item_weight", "item_id", "k", "page",
     "min_score_ratio"}
)  # fmt: skip


def _refuse_text_numbers(serializer: serializers.Serializer[Any], data: Any) -> None:
    if not (serializer.context.get("typed") and isinstance(data, Mapping)):
        return
    wrong = {
        key: ["Expected a number, not text or a boolean."]
        for key, value in data.items()
        if key in TYPED_NUMBER_KEYS
        and value is not None
        and (isinstance(value, bool) or not isinstance(value, int | float))
    }
    if wrong:
        raise serializers.ValidationError(wrong)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "format": "decimal", "pattern": r"^\d{0,10}(?:\.\d{0,2})?$"},
        ],
        "nullable": True,
    }
)
class PriceField(serializers.DecimalField):
    """A price: a JSON number or a decimal string; never a boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "minLength": 1, "maxLength": 500},
            {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 500},
             "minItems": 1, "maxItems": 50},
        ],
        "description": "one value, or several: any of them matches",
    }
)  # fmt: skip
class AttributeValuesField(serializers.Field):
    """An attribute's wanted value, or a list of them (any matches). Always a list inside."""

    default_error_messages = {
        "invalid": "Expected text or a list of texts (any of them matches).",
        "empty": "Give at least one value.",
        "too_many": "At most 50 values.",
    }

    def to_internal_value(self, data: Any) -> list[str]:
        values = data if isinstance(data, list) else [data]
        child = StrictCharField(max_length=500)
        if not values:
            self.fail("empty")
        if len(values) > 50:
            self.fail("too_many")
        if not all(isinstance(value, str) for value in values):
            self.fail("invalid")
        return list(dict.fromkeys(child.run_validation(value) for value in values))

    def to_representation(self, value: Any) -> Any:
        return value


class SearchFiltersSerializer(StrictInputSerializer):
    category = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, default=list, max_length=50
    )
    price_min = PriceField(required=False, allow_null=True)
    price_max = PriceField(required=False, allow_null=True)
    attributes = serializers.DictField(child=AttributeValuesField(), required=False, default=dict)

    def to_internal_value(self, data: Any) -> Any:
        _refuse_text_numbers(self, data)
        return super().to_internal_value(data)

    def validate_attributes(self, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in value:
            problem = storable_text_problem(name, "An attribute name")
            if problem or not name.strip() or len(name) > 255:
                raise serializers.ValidationError(
                    problem or "An attribute name is 1 to 255 characters."
                )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"price_min": "price_min is greater than price_max."})
        return attrs


def filter_from_data(data: Mapping[str, Any], *, include_inactive: bool) -> ItemFilter:
    """Validated filters (SearchFiltersSerializer's output) as the one ItemFilter."""
    return ItemFilter(
        categories=tuple(c for c in data.get("category", []) if c),
        price_min=data.get("price_min"),
        price_max=data.get("price_max"),
        attributes=tuple(
            (key, value)
            for key, values in sorted(data.get("attributes", {}).items())
            for value in values
        ),
        include_inactive=include_inactive,
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": ["auto", "off"]},
            {"type": "number", "minimum": 0, "maximum": 1},
        ],
        "description": (
            "the relevant set: auto (the configured cutoff), off (every result to the search "
            "depth), or the share of the best score a result needs"
        ),
    }
)
class CutoffField(serializers.Field):
    """auto -> None (the configured cutoff), off -> 0 (none), or a share of the best score."""

    default_error_messages = {"invalid": "cutoff is auto, off, or a number from 0 to 1."}

    def to_internal_value(self, data: Any) -> float | None:
        if data == "auto":
            return None
        if data == "off":
            return 0.0
        if isinstance(data, bool):
            self.fail("invalid")
        try:
            value = float(data)
        except (TypeError, ValueError):
            self.fail("invalid")
        if not 0 <= value <= 1:
            self.fail("invalid")
        return value

    def to_representation(self, value: Any) -> Any:
        return value


def _weight(default: float) -> FiniteFloatField:
    return FiniteFloatField(required=False, default=default, min_value=0, max_value=10)


class SearchInputSerializer(StrictInputSerializer):
    """One search request, from JSON, multipart, or query parameters."""

    text = StrictCharField(required=False, allow_blank=True, default="", max_length=1000)
    text_weight = _weight(1.0)
    negative_text = StrictCharField(required=False, allow_blank=True, default="", max_length=1000)
    negative_weight = _weight(0.5)
    image = ImageInputField(required=False, allow_null=True, default=None)  # never stored
    image_weight = _weight(1.0)
    item_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        error_messages={"max_value": "No item has an id this large."},
    )
    item_weight = _weight(1.0)
    mode = serializers.ChoiceField(choices=[m.value for m in SearchMode], required=False,
                                   default=SearchMode.HYBRID.value)  # fmt: skip
    filters = SearchFiltersSerializer(required=False)
    k = bounded_integer("k", 1, 100, required=False, default=24)
    page = bounded_integer("page", 1, 100, required=False, default=1)
    min_score_ratio = FiniteFloatField(
        required=False, allow_null=True, default=None, min_value=0, max_value=1
    )
    sort = serializers.ChoiceField(
        choices=[order.value for order in SortOrder], required=False,
        default=SortOrder.RELEVANCE.value,
    )  # fmt: skip
    cutoff = CutoffField(required=False, default=None)  # None: auto
    facets = serializers.BooleanField(required=False, default=True)

    def to_internal_value(self, data: Any) -> Any:
        _refuse_text_numbers(self, data)
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problem = SearchQuery(
            text=attrs["text"].strip(),
            image=attrs.get("image"),
            item_id=attrs.get("item_id"),
            mode=SearchMode(attrs["mode"]),
        ).problem()
        if problem is not None:
            field, message = problem
            raise serializers.ValidationError({field: message} if field else message)
        return attrs

    @staticmethod
    def _query(data: Mapping[str, Any], *, include_inactive: bool) -> SearchQuery:
        return SearchQuery(
            text=data["text"].strip(),
            text_weight=data["text_weight"],
            negative_text=data["negative_text"].strip(),
            negative_weight=data["negative_weight"],
            image=data.get("image"),
            image_weight=data["image_weight"],
            item_id=data.get("item_id"),
            item_weight=data["item_weight"],
            mode=SearchMode(data["mode"]),
            item_filter=filter_from_data(
                data.get("filters") or {}, include_inactive=include_inactive
            ),
            k=data["k"],
            page=data["page"],
            min_score_ratio=data.get("min_score_ratio"),
            sort=SortOrder(data["sort"]),
            cutoff=data["cutoff"],
            facets=data["facets"],
        )

    def to_query(self, *, include_inactive: bool = False) -> SearchQuery:
        return self._query(self.validated_data, include_inactive=include_inactive)


# The flat shape's keys, for "unknown parameter" answers.
FLAT_KEYS: list[str] = [
    "q",
    *(str(name) for name in SearchInputSerializer().fields if name not in {"filters", "text"}),
    *FLAT_FILTER_KEYS,
    "attr.<name>",
    "filters",
]


def params_data(
    params: Any,
    *,
    image: Any = None,
    refuse_unknown: bool = True,
    ignored: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Flat parameters (a QueryDict or a plain mapping of text or lists of text) -> the typed
    shape `SearchInputSerializer` reads. Blank values count as absent, as an HTML form sends
    every field. `refuse_unknown` is off for the browser's page, whose form carries more."""
    ignored = ignored | SearchInputSerializer.ignored_keys
    if refuse_unknown:
        refuse_unknown_keys(
            {key: None for key in params if not str(key).startswith("attr.")},
            FLAT_KEYS,
            ignored=ignored,
        )
    data: dict[str, Any] = {}
    filters: dict[str, Any] = {}
    attributes: dict[str, list[str]] = {}
    for key in params:
        values = params.getlist(key) if hasattr(params, "getlist") else params[key]
        if not isinstance(values, list | tuple):
            values = [values]
        values = [value for value in values if str(value).strip()]
        if key in ignored or not values:
            continue
        if key == "category":
            filters["category"] = list(values)
        elif key in FLAT_FILTER_KEYS:
            filters[key] = values[-1]
        elif key.startswith("attr."):
            attributes[key.removeprefix("attr.")] = list(values)
        elif key == "q":
            data["text"] = values[-1]
        elif key == "filters":
            try:
                filters.update(json.loads(values[-1]))
            except (ValueError, TypeError, RecursionError):
                data["filters"] = "not json"
        elif key in FLAT_KEYS or refuse_unknown:
            data[key] = values[-1]
    if attributes:
        filters["attributes"] = attributes
    if filters and "filters" not in data:
        data["filters"] = filters
    if image is not None:
        data["image"] = image
    return data


def query_from_data(
    data: Mapping[str, Any], *, include_inactive: bool = False, typed: bool = True
) -> SearchQuery:
    """Validate a request (the typed shape) and build its query; a 400-worthy
    `serializers.ValidationError` when it is wrong."""
    serializer = SearchInputSerializer(data=dict(data), context={"typed": typed})
    serializer.is_valid(raise_exception=True)
    return serializer.to_query(include_inactive=include_inactive)


def query_from_params(
    params: Any,
    *,
    image: Any = None,
    include_inactive: bool = False,
    refuse_unknown: bool = True,
    ignored: frozenset[str] = QUERY_IGNORED_KEYS,
) -> SearchQuery:
    """The one way from flat parameters to a query: the browser's page, the API's query
    string and multipart bodies, and `manage.py search` all come through here."""
    data = params_data(params, image=image, refuse_unknown=refuse_unknown, ignored=ignored)
    return query_from_data(data, include_inactive=include_inactive, typed=False)


__all__ = [
    "LEXICAL_NEEDS_TEXT",
    "NOTHING_TO_SEARCH",
    "SearchFiltersSerializer",
    "SearchInputSerializer",
    "filter_from_data",
    "params_data",
    "query_from_data",
    "query_from_params",
]
