from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

# Deeper attribute objects are refused: nobody describes a product that way, and deep
# nesting only costs parsers and PostgreSQL stack.
MAX_ATTRIBUTES_DEPTH = 20


def description_max_length() -> int:
    return int(settings.SEARCHAPP_MAX_DESCRIPTION_CHARS)


def storable_text_problem(value: str, name: str) -> str | None:
    """Why PostgreSQL cannot store `value` as text (NUL, lone surrogates), or None."""
    if "\x00" in value:
        return f"{name} contains a NUL character."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{name} is not valid UTF-8 text."
    return None


def storable_json_problem(value: Any, name: str = "attributes", depth: int = 0) -> str | None:
    """Why PostgreSQL's jsonb cannot store `value` (NUL, invalid UTF-8, NaN and infinities,
    absurd nesting), or None."""
    if depth > MAX_ATTRIBUTES_DEPTH:
        return f"{name} is nested more than {MAX_ATTRIBUTES_DEPTH} levels deep."
    if isinstance(value, str):
        return storable_text_problem(value, name)
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} holds {value}, which JSON cannot store."
    if isinstance(value, dict):
        for key, item in value.items():
            problem = storable_text_problem(str(key), name) or storable_json_problem(
                item, f"{name}.{key}", depth + 1
            )
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = storable_json_problem(item, name, depth + 1)
            if problem:
                return problem
    return None


def validate_attributes(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValidationError('Attributes must be a JSON object, e.g. {"color": "red"}.')
    problem = storable_json_problem(value)
    if problem:
        raise ValidationError(problem)


class Item(models.Model):
    external_id = models.CharField(
        max_length=255,
        unique=True,
        help_text="The catalog's own identifier; makes imports idempotent.",
    )
    title = models.CharField(max_length=500)
    description = models.TextField(
        blank=True, default="", validators=[MaxLengthValidator(description_max_length)]
    )
    category = models.CharField(max_length=255, blank=True, default="", db_index=True)
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    attributes = models.JSONField(default=dict, blank=True, validators=[validate_attributes])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by PostgreSQL on every write (catalog/lexical.py): never set from Python.
    search_vector = SearchVectorField(null=True, editable=False)
    lexical_lengths = ArrayField(models.IntegerField(), default=list, editable=False)
    lexical_terms = models.JSONField(default=dict, editable=False)
    identifiers = ArrayField(models.TextField(), default=list, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="catalog_item_search_gin"),
            GinIndex(fields=["identifiers"], name="catalog_item_identifiers_gin"),
            GinIndex(OpClass(Lower("title"), name="gin_trgm_ops"), name="catalog_item_title_trgm"),
            models.Index(fields=["price"], name="catalog_item_price_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__isnull=True) | models.Q(price__gte=0),
                name="catalog_item_price_not_negative",
                violation_error_message="The price may not be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def primary_image(self) -> ItemImage | None:
        images = list(self.images.all())
        return images[0] if images else None


def item_image_upload_to(instance: ItemImage, filename: str) -> str:
    return f"items/{instance.item_id}/{filename}"


class ItemImage(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=item_image_upload_to,
        max_length=500,
    )
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the stored bytes.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    content_type = models.CharField(max_length=50)
    byte_size = models.PositiveIntegerField()
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "sha256"], name="catalog_itemimage_unique_bytes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.position} {self.image.name}"
