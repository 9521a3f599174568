from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models

# The English text-search configuration is immutable, so Postgres can keep the column as a
# stored generated column: weighted title (A) > category (B) > description (C).
ITEM_SEARCH_VECTOR = (
    SearchVector("title", weight="A", config="english")
    + SearchVector("category", weight="B", config="english")
    + SearchVector("description", weight="C", config="english")
)


class Item(models.Model):
    external_id = models.CharField(
        max_length=255,
        unique=True,
        help_text="The catalog's own identifier; makes imports idempotent.",
    )
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    category = models.CharField(max_length=255, blank=True, default="", db_index=True)
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=ITEM_SEARCH_VECTOR,
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="catalog_item_search_gin"),
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
