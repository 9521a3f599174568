from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.images import ValidatedImage, image_from_bytes, image_from_data_url, image_from_file


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "binary", "description": "a multipart file"},
            {"type": "string", "description": "a data URL: data:image/png;base64,..."},
        ]
    }
)
class ImageInputField(serializers.Field):
    """An image given as a multipart file or as a base64 data URL, validated on the way in."""

    default_error_messages = {
        "invalid": "Expected an image file or a data URL (data:image/png;base64,...).",
    }

    def to_internal_value(self, data: Any) -> ValidatedImage:
        try:
            if isinstance(data, str):
                return image_from_data_url(data.strip())
            if hasattr(data, "read"):
                return image_from_file(
                    data, declared_content_type=getattr(data, "content_type", None)
                )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        raise NotImplementedError("ImageInputField is write-only")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "binary", "description": "a multipart file"},
            {"type": "string", "description": "a data URL or an http(s) URL of an image"},
        ]
    }
)
class QueryImageField(ImageInputField):
    """A query image: a multipart file, a data URL, or an http(s) URL fetched now. It is
    only held in memory for this search, never stored."""

    def to_internal_value(self, data: Any) -> ValidatedImage:
        if isinstance(data, str) and data.strip().lower().startswith(("http://", "https://")):
            from catalog.importers import ImageFetchError, fetch_image_url

            try:
                return image_from_bytes(fetch_image_url(data.strip()))
            except ImageFetchError as exc:
                raise serializers.ValidationError(f"Could not fetch the image: {exc}") from exc
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return super().to_internal_value(data)


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
