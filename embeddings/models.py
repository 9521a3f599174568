from __future__ import annotations

import re

from django.db import models
from pgvector.django import VectorField

from catalog.models import Item, ItemImage


class EmbeddingSpace(models.Model):
    """One vector space: the vectors one provider/model makes for the sources it embeds.
    Vectors of two spaces are never compared with each other."""

    class Status(models.TextChoices):
        BUILDING = "building", "building"  # being backfilled, not searched yet
        ACTIVE = "active", "active"
        RETIRED = "retired", "retired"  # kept for reference, no longer embedded or searched

    class IndexType(models.TextChoices):
        # The vectors as half precision floats, cosine distance: exact enough to rank by.
        HALFVEC = "halfvec", "halfvec (cosine)"
        # One bit per dimension, Hamming distance, ~1/16 of the halfvec index: candidates
        # that are re-ranked by the stored vectors' cosine distance (catalogs past one
        # machine's RAM, docs/scaling.md).
        BINARY = "binary", "binary (Hamming, re-ranked)"

    name = models.SlugField(max_length=100, unique=True)
    provider_alias = models.CharField(max_length=100)
    model_name = models.CharField(
        max_length=300, help_text="Identity of the model that made the vectors."
    )
    dimensions = models.PositiveIntegerField()
    embeds_text = models.BooleanField(default=True)
    embeds_images = models.BooleanField(default=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BUILDING)
    index_type = models.CharField(
        max_length=20,
        choices=IndexType.choices,
        default=IndexType.HALFVEC,
        help_text="What the space's HNSW index holds; changing it rebuilds the index.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(embeds_text=True) | models.Q(embeds_images=True),
                name="embeddings_space_embeds_something",
            ),
            models.CheckConstraint(
                condition=models.Q(dimensions__gte=1, dimensions__lte=4000),
                name="embeddings_space_dimensions_indexable",  # halfvec HNSW limit
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_name}, {self.dimensions}d)"

    @property
    def index_name(self) -> str:
        """The name of the space's HNSW index, one per index type so that a new one can be
        built beside the old (the halfvec index keeps the name it has always had)."""
        return self.index_name_of(EmbeddingSpace.IndexType(self.index_type))

    def index_name_of(self, index_type: EmbeddingSpace.IndexType) -> str:
        suffix = "" if index_type == EmbeddingSpace.IndexType.HALFVEC else f"_{index_type.value}"
        return f"embeddings_space_{self.pk}_hnsw{suffix}"


# The names `EmbeddingSpace.index_name_of` gives (the space's id in group 1).
SPACE_INDEX_NAME = re.compile(r"^embeddings_space_(\d+)_hnsw(_\w+)?$")


# Spaces that take new work (building ones are backfilled before they are searched).
LIVE_STATUSES = (EmbeddingSpace.Status.BUILDING, EmbeddingSpace.Status.ACTIVE)


class Embedding(models.Model):
    """The vector of one source of one item in one space. The source is the item's text
    (image is null) or one of its images. The column is an untyped `vector`: each space
    gets a partial HNSW index on `vector::halfvec(dimensions)` or on its binary quantisation
    (embeddings/index.py)."""

    space = models.ForeignKey(EmbeddingSpace, on_delete=models.CASCADE, related_name="embeddings")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="embeddings")
    image = models.ForeignKey(
        ItemImage, on_delete=models.CASCADE, null=True, blank=True, related_name="embeddings"
    )
    vector = VectorField()
    input_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the exact input embedded.")
    embedded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["space", "item", "image"],
                name="embeddings_embedding_one_per_source",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["item", "space"], name="embeddings_item_space_idx")]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.source}@{self.space_id}"

    @property
    def source(self) -> str:
        return "text" if self.image_id is None else "image"


class ItemEmbeddingState(models.Model):
    """Where one item stands in one space: pending, ready or failed (with the reason), so
    that nothing is lost and every failure is visible and retryable."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        READY = "ready", "ready"
        FAILED = "failed", "failed"

    space = models.ForeignKey(EmbeddingSpace, on_delete=models.CASCADE, related_name="states")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="embedding_states")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    input_sha256 = models.CharField(
        max_length=64, blank=True, default="", help_text="Hash of all inputs when last ready."
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    retryable = models.BooleanField(
        default=False, help_text="The last failure was transient: the sweeper retries it."
    )
    pending_since = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker holds this item until then."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "item"], name="embeddings_state_one_per_item"),
        ]
        indexes = [
            models.Index(fields=["space", "status", "item"], name="embeddings_state_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.space_id}: {self.status}"


class ProviderUsage(models.Model):
    """What each provider alias was asked to do, per day (UTC): the basis for cost."""

    alias = models.CharField(max_length=100)
    day = models.DateField()
    requests = models.PositiveBigIntegerField(
        default=0, help_text="HTTP requests (0 for local models)"
    )
    inputs = models.PositiveBigIntegerField(default=0)
    text_tokens = models.PositiveBigIntegerField(default=0)
    images = models.PositiveBigIntegerField(default=0)
    image_pixels = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["alias", "day"], name="embeddings_usage_one_per_day")
        ]
        verbose_name_plural = "provider usage"

    def __str__(self) -> str:
        return f"{self.alias} {self.day}"
