from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.images import ValidatedImage, image_from_data_url, image_from_file, image_from_url

# "http://...", "ftp://...": a URL to fetch (or refuse), not a data URL.
_URL_WITH_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "binary", "description": "a multipart file"},
            {"type": "string", "description": "a data URL: data:image/png;base64,..."},
            {
                "type": "string",
                "format": "uri",
                "description": (
                    "an http(s) URL of an image, fetched now: public addresses only, "
                    "unless the operator allows a network"
                ),
            },
        ]
    }
)
class ImageInputField(serializers.Field):
    """An image given as a multipart file, a base64 data URL, or a URL fetched now through
    the guarded fetcher (catalog.images.image_from_url); validated on the way in. Where the
    image goes (stored on an item, or only held for one search) is the caller's business."""

    default_error_messages = {
        "invalid": (
            "Expected an image file, a data URL (data:image/png;base64,...) "
            "or an http(s) URL of an image."
        ),
    }

    def to_internal_value(self, data: Any) -> ValidatedImage:
        try:
            if isinstance(data, str):
                value = data.strip()
                if _URL_WITH_SCHEME.match(value):
                    return image_from_url(value)  # refuses every scheme but http(s)
                return image_from_data_url(value)
            if hasattr(data, "read"):
                return image_from_file(
                    data, declared_content_type=getattr(data, "content_type", None)
                )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        raise NotImplementedError("ImageInputField is write-only")


class ImageListField(serializers.ListField):
    """An item's images, each an ImageInputField. More than an item may hold is refused
    before any of them is decoded or fetched."""

    child = ImageInputField()

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        limit = settings.SEARCHAPP_MAX_IMAGES_PER_ITEM
        if len(data) > limit:
            raise serializers.ValidationError(f"An item may have at most {limit} images.")
        return super().run_child_validation(data)


@extend_schema_field(OpenApiTypes.OBJECT)
class AttributesField(serializers.Field):
    """A JSON object of attributes; multipart clients send it as a JSON string."""

    default_error_messages = {
        "invalid": 'Attributes must be a JSON object, e.g. {{"color": "red"}}.',
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value
