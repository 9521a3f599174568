"""Every answered search is logged through Celery, and logging never slows or fails it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from analytics.models import SearchLog
from catalog.models import Item
from searchapp.celery import app

pytestmark = pytest.mark.django_db


def test_an_api_search_is_logged_under_the_id_its_response_carries(
    items: dict[str, Item], search_api: Callable[..., dict[str, Any]]
) -> None:
    body = search_api("  Desk   LAMP ", category="Lighting", price_max="50")
    log = SearchLog.objects.get()
    assert body["search_id"] == str(log.pk)
    assert log.query == "desk lamp"
    assert log.mode == "lexical" and log.source == "api" and log.page == 1
    assert log.filters == {"category": ["Lighting"], "price_max": "50.00"}
    assert log.result_count == body["total"] == 1
    assert log.top_item_ids == [items["Desk lamp"].pk]
    assert log.latency_ms == pytest.approx(body["took_ms"], abs=0.01)
    assert log.session_key == ""


def test_the_session_header_is_kept_and_no_address_or_agent_is_stored(
    items: dict[str, Item], eager_tasks: None
) -> None:
    response = APIClient().get(
        "/api/v1/search/", {"q": "mug", "mode": "lexical"},
        HTTP_X_SEARCH_SESSION="s-123", HTTP_USER_AGENT="Agent/1.0", REMOTE_ADDR="203.0.113.9",
    )  # fmt: skip
    assert response.status_code == 200
    log = SearchLog.objects.get()
    assert log.session_key == "s-123" and log.result_count == 2
    stored = " ".join(str(value) for value in SearchLog.objects.values().get().values())
    assert "203.0.113.9" not in stored and "Agent" not in stored
    columns = {field.name for field in SearchLog._meta.get_fields()}
    assert not columns & {"ip", "ip_address", "user_agent", "address"}


def test_more_like_this_is_logged_with_its_item(
    items: dict[str, Item], search_api: Callable[..., dict[str, Any]]
) -> None:
    # Semantic search without a space falls back; the log keeps the item it started from.
    response = APIClient().get(f"/api/v1/items/{items['Red mug'].pk}/similar/")
    assert response.status_code == 200
    assert SearchLog.objects.get().filters == {"item_id": items["Red mug"].pk}


def test_the_search_page_logs_with_source_ui_and_marks_its_results(
    items: dict[str, Item], eager_tasks: None
) -> None:
    page = Client().get("/", {"q": "lamp", "mode": "lexical"})
    assert page.status_code == 200
    log = SearchLog.objects.get()
    assert log.source == "ui" and log.query == "lamp" and log.result_count == 2
    html = page.content.decode()
    assert f'data-search-id="{log.pk}"' in html and 'data-first="1"' in html
    ids = ",".join(str(pk) for pk in log.top_item_ids)
    assert f'data-item-ids="{ids}"' in html
    assert 'data-events-url="/api/v1/analytics/events/"' in html
    assert "analytics/clicks.js" in html
    # A browse (no query) and a refused query are not searches.
    assert Client().get("/").status_code == 200
    assert Client().get("/", {"q": "lamp", "mode": "nonsense"}).status_code == 400
    assert SearchLog.objects.count() == 1


@pytest.fixture
def broker_down(tmp_path: Path) -> Iterator[None]:
    """Celery's producers pointed at a Redis socket nobody listens on."""
    url = app.conf.broker_write_url
    app.conf.update(broker_write_url=f"redis+socket://{tmp_path}/nothing.sock")
    _pools_forget()
    try:
        yield
    finally:
        app.conf.update(broker_write_url=url)
        _pools_forget()


def _pools_forget() -> None:
    """Celery keeps its connection and producer pools once made: make them anew."""
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


def test_a_search_answers_while_the_broker_is_unavailable(
    items: dict[str, Item], broker_down: None
) -> None:
    client = APIClient()
    started = time.monotonic()
    first = client.get("/api/v1/search/", {"q": "lamp", "mode": "lexical"})
    # Later searches do not even try while logging is paused.
    later = [client.get("/api/v1/search/", {"q": "mug", "mode": "lexical"}) for _ in range(5)]
    page = Client().get("/", {"q": "lamp", "mode": "lexical"})
    elapsed = time.monotonic() - started
    assert first.status_code == 200 and first.json()["total"] == 2
    assert first.json()["search_id"] is None  # not logged: no id a click could name
    assert all(r.status_code == 200 and r.json()["total"] == 2 for r in later)
    assert page.status_code == 200 and "data-search-id" not in page.content.decode()
    assert elapsed < 2  # Celery alone would retry connecting for 6 s
    assert SearchLog.objects.count() == 0


@pytest.fixture
def log_table_renamed() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE analytics_searchlog RENAME TO analytics_searchlog_away")
    yield  # the test's transaction rolls the rename back


def test_a_search_answers_while_the_log_table_is_unavailable(
    items: dict[str, Item], eager_tasks: None, log_table_renamed: None
) -> None:
    # Eager: the failing insert runs inside the search request itself, the worst case.
    response = APIClient().get("/api/v1/search/", {"q": "lamp", "mode": "lexical"})
    assert response.status_code == 200 and response.json()["total"] == 2
    page = Client().get("/", {"q": "lamp", "mode": "lexical"})
    assert page.status_code == 200 and "2 results" in page.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_searchlog_away")
        assert cursor.fetchone() == (0,)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_log_of_an_api_search(
    items: dict[str, Item], celery_worker: Any
) -> None:
    from tests.conftest import wait_until

    response = APIClient().get("/api/v1/search/", {"q": "red mug", "mode": "lexical"})
    assert response.status_code == 200
    search_id = response.json()["search_id"]
    assert search_id is not None
    wait_until(lambda: SearchLog.objects.filter(pk=search_id).exists(), timeout=30)
    log = SearchLog.objects.get(pk=search_id)
    assert log.query == "red mug" and log.result_count == response.json()["total"]
