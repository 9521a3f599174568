from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import validate_attributes
from searchapp.images import (
    ValidatedImage,
    image_from_data_url,
    image_from_file,
    image_from_url,
)

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
    the guarded fetcher (searchapp.images.image_from_url); validated on the way in. Where the
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


class StrictInputSerializer(serializers.Serializer[Any]):
    """An input serializer that names every key it accepts: an unknown key (a typo, a field
    of another endpoint) is a 400 naming it and listing the known ones, never ignored."""

    # Keys that are accepted and listed as known but read by someone else (pagination).
    extra_known_keys: ClassVar[tuple[str, ...]] = ()
    # Keys that are neither listed nor refused: Django's CSRF token in a form.
    ignored_keys: ClassVar[frozenset[str]] = frozenset({"csrfmiddlewaretoken"})
    # What to say instead of "unknown" for a key that belongs somewhere else.
    key_hints: ClassVar[dict[str, str]] = {}

    def known_keys(self) -> list[str]:
        return [*self.fields, *self.extra_known_keys]

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            refuse_unknown_keys(
                data, self.known_keys(), ignored=self.ignored_keys, hints=self.key_hints
            )
        return super().to_internal_value(data)


# Query parameters DRF itself reads (?format=json picks the renderer).
QUERY_IGNORED_KEYS = frozenset({"format"})


def refuse_unknown_keys(
    data: Mapping[str, Any],
    known: list[str],
    *,
    ignored: frozenset[str] = frozenset(),
    hints: Mapping[str, str] | None = None,
) -> None:
    unknown = [key for key in data if key not in known and key not in ignored]
    if unknown:
        message = f"Unknown field; the known fields are {', '.join(known)}."
        raise serializers.ValidationError(
            {str(key): [(hints or {}).get(key, message)] for key in unknown[:20]}
        )


class StrictCharField(serializers.CharField):
    """Text only: a JSON number, boolean, list or object is refused, not turned into text."""

    default_error_messages = {"not_text": "Expected text (a string), not {kind}."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text", kind=_json_kind(data))
        return str(super().to_internal_value(data))


class FiniteFloatField(serializers.FloatField):
    """A float that is a number: NaN and the infinities are refused."""

    def to_internal_value(self, data: Any) -> float:
        value = float(super().to_internal_value(data))
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def bounded_integer(name: str, low: int, high: int, **kwargs: Any) -> serializers.IntegerField:
    """An integer field whose every error states the allowed range."""
    message = f"{name} must be a whole number from {low:,} to {high:,}."
    return serializers.IntegerField(
        min_value=low,
        max_value=high,
        error_messages={"invalid": message, "min_value": message, "max_value": message,
                        "max_string_length": message},
        **kwargs,
    )  # fmt: skip


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


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
            except (ValueError, RecursionError):
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        try:
            validate_attributes(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return data

    def to_representation(self, value: Any) -> Any:
        return value
