"""The post-process stage: the fused ranking in, the page asked for out.

- the score floor (``min_score_ratio``, or the profile's);
- the relevant set: semantic and hybrid results end where relevance ends, a result kept while
  its score is at least a share of the best (``cutoff``); lexical results keep their natural
  set (the items that match);
- identifier matches pinned first;
- the query's filters, applied to the relevant set (so that a facet's count is what choosing
  it returns);
- sorting the relevant set (relevance, price, newest, title; ties on the item id);
- the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection

from catalog.filters import ItemFilter
from search.types import Fused, Matched, Page, RankedList, SortOrder


def score_floor(fused: list[Fused], ratio: float | None) -> list[Fused]:
    if not ratio or not fused:
        return fused
    floor = fused[0].score * ratio
    return [entry for entry in fused if entry.score >= floor]


def relevant_set(fused: list[Fused], ratio: float) -> list[Fused]:
    """The results whose score is at least ``ratio`` of the best one."""
    if not fused or fused[0].score <= 0:
        return fused
    threshold = fused[0].score * ratio
    return [entry for entry in fused if entry.score >= threshold]


def with_pins(fused: list[Fused], pinned: RankedList | None) -> list[Fused]:
    """Identifier matches first, in their order, then the rest without them."""
    if pinned is None or not pinned.entries:
        return fused
    by_id = {entry.item_id: entry for entry in fused}
    top = [
        by_id.get(entry.item_id)
        or Fused(item_id=entry.item_id, score=entry.score, matched=Matched.TEXT, similarity=None)
        for entry in pinned.entries
    ]
    ids = {entry.item_id for entry in top}
    return top + [entry for entry in fused if entry.item_id not in ids]


@dataclass(frozen=True)
class SortKeys:
    price: Decimal | None
    created_at: datetime
    title: str


def filtered_keys(item_ids: Sequence[int], item_filter: ItemFilter) -> dict[int, SortKeys]:
    """Which of these items the filter keeps, with what they sort by (one indexed query)."""
    if not item_ids:
        return {}
    where, params = item_filter.where_sql("i")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, i.price, i.created_at, lower(i.title) FROM catalog_item i "  # noqa: S608
            f"WHERE i.id = ANY(%s) AND {where}",
            [list(item_ids), *params],
        )
        return {row[0]: SortKeys(*row[1:]) for row in cursor.fetchall()}


def entries_sort(entries: list[Fused], keys: dict[int, SortKeys], order: SortOrder) -> list[Fused]:
    """The relevant set in the order asked for; ties keep relevance order, then the id.
    Items without a price come last either way."""
    if order == SortOrder.RELEVANCE:
        return entries
    rank = {entry.item_id: position for position, entry in enumerate(entries)}

    def key(entry: Fused) -> tuple[object, ...]:
        found = keys[entry.item_id]
        if order in (SortOrder.PRICE, SortOrder.PRICE_DESC):
            price = found.price
            value = 0 if price is None else (price if order == SortOrder.PRICE else -price)
            return (price is None, value, rank[entry.item_id], entry.item_id)
        if order == SortOrder.NEWEST:
            return (-found.created_at.timestamp(), entry.item_id)
        return (found.title, entry.item_id)

    return sorted(entries, key=key)


def page_of(entries: list[Fused], *, page: int, k: int) -> Page:
    start = (page - 1) * k
    return Page(entries=entries[start : start + k], total=len(entries))
