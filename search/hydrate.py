"""The hydrate stage: the page's item ids in, items (with their images, for thumbnails) out."""

from __future__ import annotations

from django.db.models import Prefetch

from catalog.models import Item, ItemImage
from search.types import Page, SearchHit


def page_hydrate(page: Page) -> list[SearchHit]:
    images = Prefetch("images", queryset=ItemImage.objects.order_by("position", "id"))
    items = {
        item.pk: item
        for item in Item.objects.filter(pk__in=[entry.item_id for entry in page.entries])
        .defer("search_vector")
        .prefetch_related(images)
    }
    return [
        SearchHit(
            item=items[entry.item_id],
            score=round(entry.score, 6),
            matched=str(entry.matched),
            similarity=entry.similarity,
            pinned=entry.pinned,
        )
        for entry in page.entries
        if entry.item_id in items
    ]
