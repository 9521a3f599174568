"""The post-process stage: the fused ranking in, the page asked for out.

- the score floor (``min_score_ratio``, or the profile's);
- the relevant set: semantic and hybrid results end where relevance ends, a result kept while
  its score is at least a share of the best (``cutoff``); lexical results keep their natural
  set (the items that match);
- query rules' boosts and buries (fused scores multiplied, before the relevant-set cutoff)
  and hidden items (removed);
- identifier matches pinned first;
- the query's filters, applied to the relevant set (so that a facet's count is what choosing
  it returns);
- sorting the relevant set (relevance, price, newest, title; ties on the item id);
- query rules' pins at their positions (even items that do not match; never an inactive
  one);
- the page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from catalog.filters import ItemFilter
from catalog.models import Item
from search.types import Boost, Fused, Matched, Page, Pin, RankedList, SortOrder
from searchapp.db import read_connection


def score_floor(fused: list[Fused], ratio: float | None) -> list[Fused]:
    """The floor (``min_score_ratio``) is the relevant-set rule with the caller's share."""
    return relevant_set(fused, ratio) if ratio else fused


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


def boosts_apply(fused: list[Fused], boosts: Sequence[Boost]) -> list[Fused]:
    """Each item's fused score times the factor of every boost that matches it (its id, its
    category, one of its attribute values), best first again."""
    if not boosts or not fused:
        return fused
    described: dict[int, tuple[str, dict[str, object]]] = {}
    categories = [boost.category for boost in boosts if boost.category is not None]
    attributes = [{boost.attribute[0]: boost.attribute[1]} for boost in boosts
                  if boost.attribute is not None]  # fmt: skip
    if categories or attributes:
        # Only the items a category or attribute boost matches (one indexed query).
        rows = Item.objects.filter(
            Q(category__in=categories) | _any_attribute(attributes),
            pk__in=[entry.item_id for entry in fused],
        ).values_list("id", "category", "attributes")
        described = {item_id: (category, found or {}) for item_id, category, found in rows}

    def factor(item_id: int) -> float:
        category, attributes = described.get(item_id, ("", {}))
        product = 1.0
        for boost in boosts:
            if (
                boost.item_id == item_id
                or (boost.category is not None and boost.category == category)
                or (boost.attribute is not None and _has_value(attributes, *boost.attribute))
            ):
                product *= boost.factor
        return product

    boosted = [dataclasses.replace(entry, score=entry.score * factor(entry.item_id))
               for entry in fused]  # fmt: skip
    return sorted(boosted, key=lambda entry: -entry.score)


def _any_attribute(attributes: list[dict[str, str]]) -> Q:
    query = Q(pk__in=[])
    for wanted in attributes:
        query |= Q(attributes__contains=wanted)
    return query


def _has_value(attributes: dict[str, object], key: str, value: str) -> bool:
    found = attributes.get(key)
    return found == value or (isinstance(found, list) and value in found)


def hidden_removed(entries: list[Fused], hide: frozenset[int]) -> list[Fused]:
    return [entry for entry in entries if entry.item_id not in hide] if hide else entries


def pins_place(entries: list[Fused], pins: Sequence[Pin], hide: frozenset[int]) -> list[Fused]:
    """Pinned items at their 1-based positions (or last, when the list is shorter), whether
    or not they matched. The first rule to pin an item or claim a position wins; inactive
    and hidden items are never pinned."""
    wanted: dict[int, int] = {}
    for pin in pins:
        if pin.item_id not in hide:
            wanted.setdefault(pin.item_id, pin.position)
    if not wanted:
        return entries
    with read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT id FROM catalog_item WHERE id = ANY(%s) AND is_active", [list(wanted)]
        )
        active = {row[0] for row in cursor.fetchall()}
    by_id = {entry.item_id: entry for entry in entries}
    placed = [entry for entry in entries if entry.item_id not in active]
    last = -1
    for item_id, position in sorted(wanted.items(), key=lambda pair: pair[1]):
        if item_id not in active:
            continue
        found = by_id.get(item_id)
        pinned = (
            dataclasses.replace(found, pinned=True)
            if found is not None
            else Fused(item_id=item_id, score=0.0, matched=Matched.TEXT, similarity=None,
                       pinned=True)
        )  # fmt: skip
        index = min(max(position - 1, last + 1), len(placed))
        placed.insert(index, pinned)
        last = index
    return placed


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
    with read_connection().cursor() as cursor:
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
