"""Reads from the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from catalog.models import Item, ItemImage

ITEM_ORDERINGS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "title": ("title", "id"),
    "price": ("price", "id"),
    "-price": ("-price", "id"),
}


@dataclass(frozen=True)
class ItemFilters:
    category: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    external_id: str | None = None
    include_inactive: bool = False
    ordering: str = "newest"


def _with_images(queryset: QuerySet[Item]) -> QuerySet[Item]:
    return queryset.prefetch_related(
        Prefetch("images", queryset=ItemImage.objects.order_by("position", "id"))
    )


def item_list(*, filters: ItemFilters | None = None) -> QuerySet[Item]:
    filters = filters or ItemFilters()
    queryset = Item.objects.defer("search_vector")
    if not filters.include_inactive:
        queryset = queryset.filter(is_active=True)
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.price_min is not None:
        queryset = queryset.filter(price__gte=filters.price_min)
    if filters.price_max is not None:
        queryset = queryset.filter(price__lte=filters.price_max)
    if filters.external_id:
        queryset = queryset.filter(external_id=filters.external_id)
    return _with_images(queryset.order_by(*ITEM_ORDERINGS[filters.ordering]))


def item_get(*, item_id: int, include_inactive: bool = False) -> Item | None:
    queryset = Item.objects.defer("search_vector").filter(pk=item_id)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return _with_images(queryset).first()


def item_categories() -> list[str]:
    return list(
        Item.objects.filter(is_active=True)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
