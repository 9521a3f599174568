"""Search analytics in Chromium: a shopper's click on a result is reported by the page's
beacon, and the admin dashboard draws its charts under the site's CSP."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from analytics.models import SearchEvent, SearchLog
from catalog.models import Item
from catalog.services import item_create
from searchapp.celery import app
from tests.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Shoot = Callable[[Any, str], Path]


@pytest.fixture
def lamps() -> list[Item]:
    return [
        item_create(
            external_id=f"lamp-{n}",
            title=f"{name} lamp",
            category="Lighting",
            price=Decimal(20 + n),
        )  # fmt: skip
        for n, name in enumerate(["Desk", "Floor", "Reading"])
    ]


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    app.conf.task_always_eager = True  # the live server logs in its own thread, at once
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def test_a_click_on_a_result_is_reported(page: Any, lamps: list[Item], eager_tasks: None) -> None:
    page.goto("/?q=lamp&mode=lexical")
    results = page.locator("#results-body ul[data-search-id]")
    search_id = results.get_attribute("data-search-id")
    second = page.locator("#results-body .card .title a").nth(1)
    clicked_title = second.inner_text()
    second.click()
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    wait_until(lambda: SearchEvent.objects.exists(), timeout=10)
    event = SearchEvent.objects.get()
    assert str(event.search_id) == search_id and event.position == 2 and event.kind == "click"
    assert event.item.title == clicked_title
    assert SearchLog.objects.get().source == "ui"


def _history(lamps: list[Item]) -> None:
    """Two weeks of searches: more each day, a zero-result query, clicks further down."""
    now = timezone.now()
    for day in range(14):
        for n in range(3 + day % 5):
            found = n % 4 != 3
            log = SearchLog.objects.create(
                query="lamp" if found else "sofa", mode="lexical", result_count=3 if found else 0,
                latency_ms=12.0, source="ui", created_at=now - timedelta(days=13 - day, hours=n),
            )  # fmt: skip
            if found and n % 2 == 0:
                SearchEvent.objects.create(
                    search=log, item=lamps[0], position=1 + (day + n) % 3, kind="click"
                )


def test_the_dashboard_draws_its_charts(
    admin_page: tuple[Any, list[str]], lamps: list[Item], screenshot: Shoot
) -> None:
    _history(lamps)
    page, violations = admin_page
    page.goto("/admin/analytics/searchlog/")
    page.click("text=Dashboard")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    charts = page.locator("svg.analytics-chart")
    assert charts.count() == 3
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("svg.analytics-chart rect.bar").count() > 14  # searches + zero results
    assert page.locator("svg.analytics-chart polyline.line").count() == 2  # CTR, position
    bar = page.locator("svg.analytics-chart rect.bar").first.bounding_box()
    assert bar is not None and bar["height"] > 0
    # The stylesheet applied (a bordered figure), so the CSP let it load.
    border = page.locator("#charts figure").first.evaluate(
        "(figure) => getComputedStyle(figure).borderTopStyle"
    )
    assert border == "solid"
    assert page.locator("#table-zero td.query").all_inner_texts() == ["sofa"]
    screenshot(page, "analytics-dashboard")
    page.select_option("#id_by", "week")
    page.click("#dashboard-form input[type=submit]")
    page.wait_for_url(re.compile(r"by=week"))
    assert page.locator("svg.analytics-chart").count() == 3
    screenshot(page, "analytics-dashboard-weekly")
    assert violations == []
