"""Analytics fixtures: a small catalog searched lexically (no embedding space needed), and
Celery's eager mode, in which the log task runs in the searching process so that a test
sees the row at once (the slow test in test_logging.py uses a real worker instead)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from analytics.receivers import broker_pause_reset
from catalog import services as catalog_services
from catalog.models import Item
from searchapp.celery import app

TITLES = [
    ("Desk lamp", "Lighting", "30"),
    ("Floor lamp", "Lighting", "90"),
    ("Red mug", "Kitchen", "8"),
    ("Blue mug", "Kitchen", "9"),
]


@pytest.fixture(autouse=True)
def _logging_resumed() -> Iterator[None]:
    broker_pause_reset()
    yield
    broker_pause_reset()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def items(db: None) -> dict[str, Item]:
    return {
        title: catalog_services.item_create(
            external_id=title.lower().replace(" ", "-"),
            title=title,
            category=category,
            price=Decimal(price),
        )  # fmt: skip
        for title, category, price in TITLES
    }


@pytest.fixture
def search_api(eager_tasks: None) -> Callable[..., dict[str, Any]]:
    """A lexical search through the API; returns the response body (asserting 200)."""
    client = APIClient()

    def search(text: str, **params: Any) -> dict[str, Any]:
        response = client.get("/api/v1/search/", {"q": text, "mode": "lexical", **params})
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body

    return search


@pytest.fixture
def report_event() -> Callable[..., Any]:
    client = APIClient()

    def report(search_id: str, item: Item, position: int, kind: str = "click") -> Any:
        body = {"search_id": search_id, "item_id": item.pk, "position": position, "kind": kind}
        return client.post("/api/v1/analytics/events/", body, format="json")

    return report
