"""Reads from the catalog."""

from __future__ import annotations

from django.db.models import F, OrderBy, Prefetch, QuerySet

from catalog.filters import ItemFilter
from catalog.models import Item, ItemImage

# Items without a price come last either way (as the search's sort has them).
ITEM_ORDERINGS: dict[str, tuple[str | OrderBy, ...]] = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "title": ("title", "id"),
    "price": ("price", "id"),
    "-price": (F("price").desc(nulls_last=True), "id"),
}


def _with_images(queryset: QuerySet[Item]) -> QuerySet[Item]:
    return queryset.prefetch_related(
        Prefetch("images", queryset=ItemImage.objects.order_by("position", "id"))
    )


def item_list(*, item_filter: ItemFilter | None = None, ordering: str = "newest") -> QuerySet[Item]:
    queryset = (item_filter or ItemFilter()).apply(Item.objects.defer("search_vector"))
    return _with_images(queryset.order_by(*ITEM_ORDERINGS[ordering]))


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


def item_is_active(*, item_id: int) -> bool:
    """One primary-key lookup: whether anyone may see the item (and its images)."""
    return Item.objects.filter(pk=item_id, is_active=True).exists()
