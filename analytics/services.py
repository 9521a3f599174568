"""Writes of search analytics: a search's log row (from the worker), an event (click or
conversion, from the events API), and the retention purge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.models import MAX_QUERY_CHARS, SearchEvent, SearchLog
from catalog.models import Item


def query_normalise(text: str) -> str:
    """The one form of a query text that analytics counts and suggestions match: lower
    case, single spaces (the suggest endpoint normalises what was typed the same way)."""
    return " ".join(text.lower().split())[:MAX_QUERY_CHARS]


def search_log_create(
    *,
    id: str,
    query: str,
    mode: str,
    filters: dict[str, Any],
    result_count: int,
    top_item_ids: list[int],
    latency_ms: float,
    page: int,
    session_key: str,
    source: str,
    created_at: str,
) -> SearchLog:
    """Write a search's log row. Idempotent on the id: a task delivered twice writes once."""
    when = parse_datetime(created_at) or timezone.now()
    with transaction.atomic():
        log, _ = SearchLog.objects.get_or_create(
            pk=id,
            defaults={
                "query": query_normalise(query), "mode": mode, "filters": filters,
                "result_count": result_count, "top_item_ids": top_item_ids,
                "latency_ms": latency_ms, "page": page, "session_key": session_key[:64],
                "source": source, "created_at": when,
            },
        )  # fmt: skip
    return log


def search_event_create(
    *, search: SearchLog, item: Item, position: int, kind: str = SearchEvent.Kind.CLICK
) -> SearchEvent:
    return SearchEvent.objects.create(search=search, item=item, position=position, kind=kind)


def search_logs_purge(*, now: datetime | None = None) -> int:
    """Delete the logs (and their events) older than the retention; returns how many logs."""
    days = settings.SEARCHAPP_ANALYTICS_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, by_model = SearchLog.objects.filter(created_at__lt=cutoff).delete()
    return by_model.get(SearchLog._meta.label, 0)
