"""Reads of search analytics: the dashboard's numbers and popular queries for suggestions.

Definitions (the dashboard and the README use the same ones):
- a search "found results" when its result count is above 0;
- click-through rate (CTR): the share of searches that found results with at least one click;
- mean click position: the mean 1-based position of all clicks;
- conversions: add-to-cart and purchase events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncWeek

from analytics.models import SearchEvent, SearchLog

Bucket = Literal["day", "week"]
# A query is suggested to other shoppers only once this many searches asked it (and found
# results): a one-off search stays private.
SUGGEST_MIN_SEARCHES = 2

_CLICK = Q(events__kind=SearchEvent.Kind.CLICK)
_CONVERSION = Q(events__kind__in=[SearchEvent.Kind.ADD_TO_CART, SearchEvent.Kind.PURCHASE])
_COUNTS: dict[str, Any] = {
    "searches": Count("id", distinct=True),
    "zero_results": Count("id", distinct=True, filter=Q(result_count=0)),
    "with_results": Count("id", distinct=True, filter=Q(result_count__gt=0)),
    "clicked": Count("id", distinct=True, filter=_CLICK & Q(result_count__gt=0)),
    "clicks": Count("events", filter=_CLICK),
    "mean_position": Avg("events__position", filter=_CLICK),
    "conversions": Count("events", filter=_CONVERSION),
}


@dataclass(frozen=True)
class Counts:
    """Searches and what followed them: one query's, one day's or week's, or the window's."""

    label: str
    searches: int
    zero_results: int
    with_results: int
    clicked: int
    clicks: int
    mean_position: float | None
    conversions: int

    @property
    def ctr(self) -> float | None:
        return self.clicked / self.with_results if self.with_results else None

    @classmethod
    def from_row(cls, label: str, row: dict[str, Any]) -> Counts:
        return cls(label=label, **{name: row[name] for name in _COUNTS})


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    def logs(self) -> QuerySet[SearchLog]:
        return SearchLog.objects.filter(created_at__gte=self.since, created_at__lt=self.until)


def window_totals(*, window: Window) -> Counts:
    return Counts.from_row("all searches", window.logs().aggregate(**_COUNTS))


def _per_query(window: Window) -> Any:
    """Counts per query (typed Any: django-stubs cannot see names annotated from a dict)."""
    return window.logs().exclude(query="").values("query").annotate(**_COUNTS)


def top_queries(*, window: Window, limit: int = 20) -> list[Counts]:
    rows = _per_query(window).order_by("-searches", "query")[:limit]
    return [Counts.from_row(row["query"], row) for row in rows]


def zero_result_queries(*, window: Window, limit: int = 20) -> list[Counts]:
    rows = _per_query(window).filter(zero_results__gt=0).order_by("-zero_results", "query")
    return [Counts.from_row(row["query"], row) for row in rows[:limit]]


def unclicked_queries(*, window: Window, limit: int = 20) -> list[Counts]:
    """Queries that found results and were never clicked, the most searched first."""
    rows = (
        _per_query(window)
        .filter(with_results__gt=0, clicked=0)
        .order_by("-with_results", "query")[:limit]
    )
    return [Counts.from_row(row["query"], row) for row in rows]


def counts_over_time(*, window: Window, bucket: Bucket) -> list[Counts]:
    """One row per day or week (Monday) of the window, empty ones included, oldest first."""
    trunc = TruncDay if bucket == "day" else TruncWeek
    grouped: Any = window.logs().annotate(bucket=trunc("created_at")).values("bucket")
    rows = {row["bucket"].date(): row for row in grouped.annotate(**_COUNTS).order_by("bucket")}
    empty = dict.fromkeys(_COUNTS, 0) | {"mean_position": None}
    return [
        Counts.from_row(day.isoformat(), rows.get(day, empty))
        for day in _buckets(
            window.since.date(), (window.until - timedelta.resolution).date(), bucket
        )
    ]


def _buckets(first: date, last: date, bucket: Bucket) -> list[date]:
    step = timedelta(days=1 if bucket == "day" else 7)
    start = first if bucket == "day" else first - timedelta(days=first.weekday())
    days = []
    while start <= last:
        days.append(start)
        start += step
    return days


def popular_queries(prefix: str, limit: int) -> list[str]:
    """Past queries starting with the prefix that found results, the most searched first
    (a completion source for suggestions)."""
    rows = (
        SearchLog.objects.filter(query__startswith=prefix, result_count__gt=0)
        .values("query")
        .annotate(searches=Count("id"))
        .filter(searches__gte=SUGGEST_MIN_SEARCHES)
        .order_by("-searches", "query")[:limit]
    )
    return [row["query"] for row in rows]
