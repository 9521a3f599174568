"""search_performed -> a log record handed to Celery, never slowing or failing the search.

The receiver makes the log's id (a UUID) before enqueueing and returns it: the interfaces
read it back from the signal's replies (search.signals.search_report) and put it in the
response as `search_id`, which clicks and conversions then name. It returns None when the
record could not be handed over (then no id is shown, and no click can refer to it).

The record is published over a connection that tries once (at most a second): a broker
that cannot be reached is then not asked again for BROKER_PAUSE_SECONDS, and the searches
in the meantime are not logged instead of each waiting on a connection attempt."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from django.utils import timezone
from kombu import Connection, pools

from analytics.services import query_normalise
from catalog.filters import ItemFilter
from search.query import SearchQuery
from search.types import SearchResults

logger = logging.getLogger(__name__)

TOP_RESULTS_LOGGED = 10
BROKER_PAUSE_SECONDS = 10.0
_broker_paused_until = 0.0
FAIL_FAST = {"max_retries": 0, "socket_connect_timeout": 1, "socket_timeout": 1}


def search_record(
    *, query: SearchQuery, results: SearchResults, source: str, session_key: str | None
) -> dict[str, Any]:
    """What the log keeps of a search, as the task's JSON argument."""
    return {
        "id": str(uuid.uuid4()),
        "query": query_normalise(query.text),
        "mode": str(results.mode),
        "filters": filters_record(query),
        "result_count": results.total,
        "top_item_ids": [hit.item.pk for hit in results.hits[:TOP_RESULTS_LOGGED]],
        "latency_ms": round(results.took_ms, 2),
        "page": results.page,
        "session_key": session_key or "",
        "source": source,
        "created_at": timezone.now().isoformat(),
    }


def filters_record(query: SearchQuery) -> dict[str, Any]:
    """The filters and non-text inputs of a search, only those set."""
    item_filter: ItemFilter = query.item_filter
    record: dict[str, Any] = {}
    if item_filter.categories:
        record["category"] = list(item_filter.categories)
    if item_filter.price_min is not None:
        record["price_min"] = str(item_filter.price_min)
    if item_filter.price_max is not None:
        record["price_max"] = str(item_filter.price_max)
    if item_filter.attributes:
        record["attributes"] = item_filter.attribute_values()
    if query.item_id is not None:
        record["item_id"] = query.item_id
    if query.image is not None:
        record["image"] = True
    return record


def search_log_enqueue(
    sender: Any,
    *,
    query: SearchQuery,
    results: SearchResults,
    source: str,
    session_key: str | None = None,
    **kwargs: Any,
) -> str | None:
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return None
    from analytics.tasks import log_search

    try:
        record = search_record(query=query, results=results, source=source, session_key=session_key)
        with pools.connections[_fail_fast_connection()].acquire(block=True, timeout=1) as conn:
            # celery-types leaves out apply_async's publishing options (connection=).
            log_search.apply_async((record,), retry=False, connection=conn)  # type: ignore[call-arg]
    except Exception as exc:  # a search never fails for its log
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("search not logged (logging paused %ss): %s", BROKER_PAUSE_SECONDS, exc)
        return None
    return str(record["id"])


def _fail_fast_connection() -> Connection:
    """A broker connection that tries once: Celery's own connections (and publishing) retry
    for seconds by default, which a search must not wait for."""
    from searchapp.celery import app

    return app.connection_for_write(transport_options=FAIL_FAST)


def broker_pause_reset() -> None:
    global _broker_paused_until
    _broker_paused_until = 0.0
