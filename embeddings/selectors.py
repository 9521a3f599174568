"""Reads for embeddings: spaces and their progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from catalog.models import Item
from embeddings.models import EmbeddingSpace, ItemEmbeddingState, ProviderUsage

State = ItemEmbeddingState.Status


@dataclass(frozen=True)
class SpaceProgress:
    total: int  # items in the catalog
    ready: int
    pending: int
    failed: int

    @property
    def missing(self) -> int:
        """Items with no state in the space yet (created before the space, not backfilled)."""
        return max(0, self.total - self.ready - self.pending - self.failed)

    @property
    def percent_ready(self) -> float:
        return round(100.0 * self.ready / self.total, 1) if self.total else 100.0


def space_list(*, include_retired: bool = True) -> QuerySet[EmbeddingSpace]:
    spaces = EmbeddingSpace.objects.order_by("id")
    return spaces if include_retired else spaces.exclude(status=EmbeddingSpace.Status.RETIRED)


def space_get(*, name: str) -> EmbeddingSpace | None:
    return EmbeddingSpace.objects.filter(name=name).first()


def space_progress(*, space: EmbeddingSpace) -> SpaceProgress:
    counts = ItemEmbeddingState.objects.filter(space=space).aggregate(
        ready=Count("id", filter=Q(status=State.READY)),
        pending=Count("id", filter=Q(status=State.PENDING)),
        failed=Count("id", filter=Q(status=State.FAILED)),
    )
    return SpaceProgress(total=Item.objects.count(), **counts)


@dataclass(frozen=True)
class UsageTotals:
    requests: int
    inputs: int
    text_tokens: int
    images: int
    image_pixels: int


def provider_usage(*, alias: str, days: int) -> UsageTotals:
    """What an alias was asked to do over the last `days` days (today included, UTC)."""
    since = timezone.now().date() - timedelta(days=days - 1)
    totals = ProviderUsage.objects.filter(alias=alias, day__gte=since).aggregate(
        requests=Sum("requests"), inputs=Sum("inputs"), text_tokens=Sum("text_tokens"),
        images=Sum("images"), image_pixels=Sum("image_pixels"),
    )  # fmt: skip
    return UsageTotals(**{name: int(value or 0) for name, value in totals.items()})
