"""Facet counts: categories, price buckets and the attribute keys curators mark facetable,
counted over a set of items (the relevant set of a search, or the whole catalog when
browsing) with the other active filters applied. Counts are disjunctive within a facet, as
shoppers expect: with "Kitchen" chosen, "Lighting" still shows how many it would add. A
facet value's count is what filtering by it returns."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from catalog.filters import ItemFilter
from search.models import FacetAttribute
from searchapp.db import read_connection

CENT = Decimal("0.01")
MAX_VALUES = 30  # per facet


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class PriceBucket:
    min: Decimal | None  # inclusive; None: from nothing
    max: Decimal | None  # inclusive (the next bucket's start less a cent); None: no end
    count: int
    selected: bool


@dataclass(frozen=True)
class AttributeFacet:
    key: str
    label: str
    values: list[FacetValue]


@dataclass(frozen=True)
class Facets:
    categories: list[FacetValue] = field(default_factory=list)
    prices: list[PriceBucket] = field(default_factory=list)
    attributes: list[AttributeFacet] = field(default_factory=list)


@dataclass(frozen=True)
class _Count:
    """One counting query: what to select (and its parameters), a further condition (and
    its parameters), and the grouping that follows."""

    select: str
    tail: str
    select_params: tuple[Any, ...] = ()
    condition: str = ""
    condition_params: tuple[Any, ...] = ()


def _rows(
    item_filter: ItemFilter, within: Sequence[int] | None, count: _Count
) -> list[tuple[Any, ...]]:
    where, params = item_filter.where_sql("i")
    if within is not None:
        where += " AND i.id = ANY(%s)"
        params.append(list(within))
    sql = (
        f"SELECT {count.select} FROM catalog_item i "  # noqa: S608 (fixed SQL + the filter's)
        f"WHERE {where}{count.condition} {count.tail}"
    )
    with read_connection().cursor() as cursor:
        cursor.execute(sql, [*count.select_params, *params, *count.condition_params])
        return list(cursor.fetchall())


def _categories(item_filter: ItemFilter, within: Sequence[int] | None) -> list[FacetValue]:
    others = dataclasses.replace(item_filter, categories=())
    rows = _rows(others, within, _Count("i.category, count(*)",
                 f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_VALUES}",
                 condition=" AND i.category <> ''"))  # fmt: skip
    chosen = set(item_filter.categories)
    return [FacetValue(value=name, count=count, selected=name in chosen) for name, count in rows]


def nice_edges(low: Decimal, high: Decimal, buckets: int = 5) -> list[Decimal]:
    """Round bucket edges (1, 2, 2.5 or 5 times a power of ten) strictly inside low..high,
    at most ``buckets - 1`` of them."""
    span = float(high - low)
    if span <= 0:
        return []
    raw = span / buckets
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    edge = math.floor(float(low) / step + 1) * step
    edges: list[Decimal] = []
    while edge < float(high) and len(edges) < buckets - 1:
        edges.append(Decimal(str(round(edge, 2))))
        edge += step
    return edges


def _price_edges(others: ItemFilter, within: Sequence[int] | None) -> list[Decimal]:
    configured = [Decimal(str(edge)) for edge in settings.SEARCHAPP_PRICE_BUCKETS]
    if configured:
        return sorted(configured)
    rows = _rows(others, within, _Count("min(i.price), max(i.price)", ""))
    low, high = rows[0]
    return [] if low is None else nice_edges(low, high)


def _prices(item_filter: ItemFilter, within: Sequence[int] | None) -> list[PriceBucket]:
    others = dataclasses.replace(item_filter, price_min=None, price_max=None)
    edges = _price_edges(others, within)
    rows = _rows(others, within, _Count("width_bucket(i.price, %s::numeric[]), count(*)",
                 "GROUP BY 1 ORDER BY 1", select_params=(edges,),
                 condition=" AND i.price IS NOT NULL"))  # fmt: skip
    counts = dict(rows)
    buckets = []
    for index in range(len(edges) + 1):
        low = edges[index - 1] if index > 0 else None
        high = edges[index] - CENT if index < len(edges) else None
        if counts.get(index, 0) == 0:
            continue
        selected = (item_filter.price_min, item_filter.price_max) == (low, high) or (
            index == 0 and item_filter.price_min in (None, Decimal(0))
            and item_filter.price_max == high
        )  # fmt: skip
        buckets.append(PriceBucket(min=low, max=high, count=counts[index], selected=selected))
    return buckets


def _attribute(
    item_filter: ItemFilter, within: Sequence[int] | None, facet: FacetAttribute
) -> AttributeFacet:
    others = dataclasses.replace(
        item_filter,
        attributes=tuple(pair for pair in item_filter.attributes if pair[0] != facet.key),
    )
    rows = _rows(others, within, _Count("i.attributes->>%s, count(*)",
                 f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_VALUES}", select_params=(facet.key,),
                 condition=" AND jsonb_typeof(i.attributes->%s) = 'string'",
                 condition_params=(facet.key,)))  # fmt: skip
    chosen = set(item_filter.attribute_values().get(facet.key, []))
    values = [
        FacetValue(value=value, count=count, selected=value in chosen) for value, count in rows
    ]
    return AttributeFacet(key=facet.key, label=facet.label or facet.key, values=values)


def facets_count(*, item_filter: ItemFilter, within: Sequence[int] | None = None) -> Facets:
    """The facets of the items that ``item_filter`` keeps (and, with ``within``, that are
    among those ids), each facet counted without its own filter."""
    if within is not None and not within:
        return Facets()
    attributes = [_attribute(item_filter, within, facet) for facet in FacetAttribute.objects.all()]
    return Facets(
        categories=_categories(item_filter, within),
        prices=_prices(item_filter, within),
        attributes=[facet for facet in attributes if facet.values],
    )
