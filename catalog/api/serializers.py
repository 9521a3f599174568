from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalog.api.fields import (
    QUERY_IGNORED_KEYS,
    AttributesField,
    ImageInputField,
    ImageListField,
    StrictCharField,
    StrictInputSerializer,
    bounded_integer,
)
from catalog.models import Item, ItemImage
from catalog.selectors import ITEM_ORDERINGS
from catalog.services import ITEM_FIELDS

PRICE: dict[str, Any] = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


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
