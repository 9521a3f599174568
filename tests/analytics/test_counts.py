"""The dashboard's numbers against a scripted sequence of searches and clicks, and the
retention purge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from analytics.dashboard import counts_csv
from analytics.models import SearchEvent, SearchLog
from analytics.selectors import (
    Counts,
    Window,
    counts_over_time,
    top_queries,
    unclicked_queries,
    window_totals,
    zero_result_queries,
)
from analytics.services import search_logs_purge
from catalog.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def scripted(
    items: dict[str, Item],
    search_api: Callable[..., dict[str, Any]],
    report_event: Callable[..., Any],
) -> dict[str, list[str]]:
    """8 searches for lamp (4), mug (2), sofa (2, nothing found) and 1 for desk: clicks on
    two lamp searches (positions 1 and 2) and one mug search (1), conversions after them."""
    ids: dict[str, list[str]] = {}
    for text in ["lamp", "Lamp ", "LAMP", "lamp", "mug", "mug", "sofa", "sofa", "desk"]:
        ids.setdefault(" ".join(text.lower().split()), []).append(search_api(text)["search_id"])
    lamp, mug = ids["lamp"], ids["mug"]
    for search_id, item, position, kind in [
        (lamp[0], items["Desk lamp"], 1, "click"),
        (lamp[1], items["Floor lamp"], 2, "click"),
        (lamp[1], items["Floor lamp"], 2, "add_to_cart"),
        (mug[0], items["Red mug"], 1, "click"),
        (mug[0], items["Red mug"], 1, "purchase"),
    ]:
        assert report_event(search_id, item, position, kind).status_code == 201
    return ids


def _window() -> Window:
    now = timezone.now()
    return Window(since=now - timedelta(days=1), until=now + timedelta(minutes=1))


def _numbers(row: Counts) -> tuple[Any, ...]:
    return (row.label, row.searches, row.zero_results, row.with_results, row.clicked,
            row.clicks, row.mean_position, row.conversions)  # fmt: skip


def test_totals(scripted: dict[str, list[str]]) -> None:
    totals = window_totals(window=_window())
    assert _numbers(totals) == ("all searches", 9, 2, 7, 3, 3, pytest.approx(4 / 3), 2)
    assert totals.ctr == pytest.approx(3 / 7)


def test_top_zero_result_and_unclicked_queries(scripted: dict[str, list[str]]) -> None:
    window = _window()
    assert [_numbers(row) for row in top_queries(window=window)] == [
        ("lamp", 4, 0, 4, 2, 2, 1.5, 1),
        ("mug", 2, 0, 2, 1, 1, 1.0, 1),
        ("sofa", 2, 2, 0, 0, 0, None, 0),
        ("desk", 1, 0, 1, 0, 0, None, 0),
    ]
    assert top_queries(window=window)[0].ctr == 0.5
    assert [(row.label, row.zero_results) for row in zero_result_queries(window=window)] == [
        ("sofa", 2)
    ]
    assert [(row.label, row.with_results) for row in unclicked_queries(window=window)] == [
        ("desk", 1)
    ]


def test_per_day_and_per_week(scripted: dict[str, list[str]]) -> None:
    today = timezone.now().date()
    window = Window(
        since=timezone.now() - timedelta(days=2), until=timezone.now() + timedelta(minutes=1)
    )
    SearchLog.objects.filter(query="sofa").update(created_at=timezone.now() - timedelta(days=1))
    days = counts_over_time(window=window, bucket="day")
    assert [row.label for row in days][-2:] == [
        (today - timedelta(days=1)).isoformat(),
        today.isoformat(),
    ]
    assert [(row.searches, row.zero_results, row.clicked) for row in days[-2:]] == [
        (2, 2, 0), (7, 0, 3)
    ]  # fmt: skip
    assert days[-1].ctr == pytest.approx(3 / 7) and days[-2].ctr is None
    weeks = counts_over_time(window=window, bucket="week")
    assert sum(row.searches for row in weeks) == 9
    assert all(date.fromisoformat(row.label).weekday() == 0 for row in weeks)


def test_csv_has_a_row_per_query_and_defuses_formulas(scripted: dict[str, list[str]]) -> None:
    lines = counts_csv(top_queries(window=_window())).splitlines()
    assert (
        lines[0]
        == "query,searches,zero_results,with_results,clicked,ctr,clicks,mean_position,conversions"
    )
    assert lines[1] == "lamp,4,0,4,2,0.5000,2,1.50,1"
    assert lines[3] == "sofa,2,2,0,0,,0,,0"
    row = Counts("=HYPERLINK()", 1, 0, 1, 0, 0, None, 0)
    assert counts_csv([row]).splitlines()[1].startswith("'=HYPERLINK()")


def test_logs_past_the_retention_are_purged_with_their_events(
    scripted: dict[str, list[str]], settings: Any
) -> None:
    settings.SEARCHAPP_ANALYTICS_RETENTION_DAYS = 30
    old = scripted["lamp"][:2]  # both clicked, one converted
    SearchLog.objects.filter(pk__in=old).update(created_at=timezone.now() - timedelta(days=31))
    SearchLog.objects.filter(pk=scripted["mug"][0]).update(
        created_at=timezone.now() - timedelta(days=29)
    )
    assert search_logs_purge() == 2
    assert SearchLog.objects.count() == 7
    assert SearchEvent.objects.count() == 2  # the mug click and purchase stay
    assert search_logs_purge() == 0


def test_the_purge_is_on_the_beat_schedule(settings: Any) -> None:
    from analytics.tasks import purge

    entry = settings.CELERY_BEAT_SCHEDULE["analytics-purge"]
    assert entry["task"] == purge.name == "analytics.purge"
    assert entry["schedule"] == 24 * 3600
