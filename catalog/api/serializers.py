from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalog.api.fields import (
    QUERY_IGNORED_KEYS,
    AttributesField,
    FiniteFloatField,
    ImageInputField,
    ImageListField,
    StrictCharField,
    StrictInputSerializer,
    bounded_integer,
)
from catalog.models import Item, ItemImage, storable_text_problem
from catalog.search import ItemFilter, ItemQuery, SearchHit, SearchMode, SearchResults, Skipped
from catalog.selectors import ITEM_ORDERINGS
from catalog.services import ITEM_FIELDS

PRICE: dict[str, Any] = {"max_digits": 12, "decimal_places": 2, "min_value": 0}
# Postgres bigint: the largest id there can be.
MAX_ID = 2**63 - 1


class ItemImageOutputSerializer(serializers.ModelSerializer[ItemImage]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ItemImage
        fields = ["id", "url", "width", "height", "content_type", "byte_size", "sha256", "position"]

    def get_url(self, obj: ItemImage) -> str:
        request = self.context.get("request")
        url = obj.image.url
        return request.build_absolute_uri(url) if request is not None else url


class ItemOutputSerializer(serializers.ModelSerializer[Item]):
    images = ItemImageOutputSerializer(many=True, read_only=True)
    thumbnail_url = serializers.SerializerMethodField()
    attributes = AttributesField()

    class Meta:
        model = Item
        fields = [
            "id",
            *ITEM_FIELDS,
            "thumbnail_url",
            "images",
            "created_at",
            "updated_at",
        ]

    def get_thumbnail_url(self, obj: Item) -> str | None:
        image = obj.primary_image
        if image is None:
            return None
        return ItemImageOutputSerializer(image, context=self.context).data["url"]


class ItemCreateInputSerializer(StrictInputSerializer):
    external_id = StrictCharField(max_length=255)
    title = StrictCharField(max_length=500)
    # Its length limit (SEARCHAPP_MAX_DESCRIPTION_CHARS) is the model's, checked on save.
    description = StrictCharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    category = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    price = serializers.DecimalField(**PRICE, required=False, allow_null=True, default=None)
    attributes = AttributesField(required=False, default=dict)
    is_active = serializers.BooleanField(required=False, default=True)
    images = ImageListField(required=False, default=list)


ADD_IMAGES_HINT = "Add images with POST /api/v1/items/{id}/images/."


class ItemUpdateInputSerializer(StrictInputSerializer):
    key_hints = {"images": ADD_IMAGES_HINT}

    external_id = StrictCharField(max_length=255, required=False)
    title = StrictCharField(max_length=500, required=False)
    description = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    category = StrictCharField(max_length=255, required=False, allow_blank=True)
    price = serializers.DecimalField(**PRICE, required=False, allow_null=True)
    attributes = AttributesField(required=False)
    is_active = serializers.BooleanField(required=False)


class ItemImageInputSerializer(StrictInputSerializer):
    image = ImageInputField()
    position = bounded_integer("position", 0, 10_000, required=False)


class ItemFilterSerializer(StrictInputSerializer):
    """The item list's query parameters (page and page_size belong to the pagination)."""

    extra_known_keys = ("page", "page_size")
    ignored_keys = QUERY_IGNORED_KEYS

    category = serializers.CharField(required=False)
    price_min = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    price_max = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    external_id = serializers.CharField(required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(
        choices=list(ITEM_ORDERINGS), required=False, default="newest"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"price_min": "price_min is greater than price_max."})
        return attrs


class SearchFiltersSerializer(StrictInputSerializer):
    category = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, default=list, max_length=50
    )
    price_min = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    price_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    attributes = serializers.DictField(
        child=serializers.CharField(max_length=500), required=False, default=dict
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("category"), str):
            data = {**data, "category": [data["category"]]}
        return super().to_internal_value(data)

    def validate_attributes(self, value: dict[str, str]) -> dict[str, str]:
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


def _weight(default: float) -> FiniteFloatField:
    return FiniteFloatField(required=False, default=default, min_value=0, max_value=10)


class SearchInputSerializer(StrictInputSerializer):
    """One search request, from JSON, multipart, or query parameters. Builds an ItemQuery."""

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
    mode = serializers.ChoiceField(
        choices=["hybrid", "semantic", "lexical"], required=False, default="hybrid"
    )
    filters = SearchFiltersSerializer(required=False)
    k = bounded_integer("k", 1, 100, required=False, default=24)
    page = bounded_integer("page", 1, 100, required=False, default=1)
    min_score_ratio = FiniteFloatField(
        required=False, allow_null=True, default=None, min_value=0, max_value=1
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_text = bool(attrs["text"].strip())
        if not (has_text or attrs.get("image") is not None or attrs.get("item_id") is not None):
            raise serializers.ValidationError(
                "Give something to search for: text, an image, or an item_id (more like this)."
            )
        if attrs["mode"] == "lexical" and not has_text:
            raise serializers.ValidationError({"text": "Lexical search needs text."})
        return attrs

    def to_query(self, *, include_inactive: bool = False) -> ItemQuery:
        data = self.validated_data
        filters = data.get("filters") or {}
        return ItemQuery(
            text=data["text"].strip(),
            text_weight=data["text_weight"],
            negative_text=data["negative_text"].strip(),
            negative_weight=data["negative_weight"],
            image=data.get("image"),
            image_weight=data["image_weight"],
            item_id=data.get("item_id"),
            item_weight=data["item_weight"],
            mode=SearchMode(data["mode"]),
            filters=ItemFilter(
                categories=tuple(c for c in filters.get("category", []) if c),
                price_min=filters.get("price_min"),
                price_max=filters.get("price_max"),
                attributes=tuple(sorted(filters.get("attributes", {}).items())),
                include_inactive=include_inactive,
            ),
            k=data["k"],
            page=data["page"],
            min_score_ratio=data.get("min_score_ratio"),
        )


class SearchHitItemSerializer(serializers.ModelSerializer[Item]):
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["id", "external_id", "title", "category", "price", "thumbnail_url"]

    def get_thumbnail_url(self, obj: Item) -> str | None:
        return ItemOutputSerializer.get_thumbnail_url(self, obj)  # type: ignore[arg-type]


class SearchHitSerializer(serializers.Serializer[SearchHit]):
    item = SearchHitItemSerializer()
    score = serializers.FloatField()
    matched = serializers.ChoiceField(choices=["text", "image"])
    similarity = serializers.FloatField(allow_null=True)


class SkippedSerializer(serializers.Serializer[Skipped]):
    part = serializers.CharField()
    reason = serializers.CharField()


class SearchOutputSerializer(serializers.Serializer[SearchResults]):
    results = SearchHitSerializer(many=True, source="hits")
    mode = serializers.CharField()
    skipped = SkippedSerializer(many=True)
    spaces = serializers.ListField(child=serializers.CharField())
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    k = serializers.IntegerField()
    has_next = serializers.BooleanField()
    took_ms = serializers.FloatField()
