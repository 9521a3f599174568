"""The admin dashboard: tables, charts, CSV files, curation links, who may see it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch

from analytics import dashboard
from catalog.models import Item

pytestmark = pytest.mark.django_db
URL = "/admin/analytics/searchlog/dashboard/"


@pytest.fixture
def admin_client_(admin_user_client: tuple[User, Any]) -> Any:
    return admin_user_client[1]


@pytest.fixture
def searched(
    items: dict[str, Item],
    search_api: Callable[..., dict[str, Any]],
    report_event: Callable[..., Any],
) -> None:
    lamp = search_api("lamp")["search_id"]
    for text in ["lamp", "sofa", "sofa", "mug"]:
        search_api(text)
    assert report_event(lamp, items["Desk lamp"], 1).status_code == 201


def test_the_dashboard_shows_tables_and_three_charts(admin_client_: Any, searched: None) -> None:
    response = admin_client_.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="analytics-chart"') == 3
    for title in ("Searches", "Click-through rate", "Mean click position"):
        assert f'aria-label="{title}"' in html
    assert html.count('<rect class="bar"') == 2  # today's searches and zero results
    totals = re.sub(r"\s+", " ", html.split('id="totals"')[1].split("</table>")[0])
    assert '<th>Searches</th><td class="number">5</td>' in totals
    assert '<th>Zero results</th><td class="number">2</td>' in totals
    assert '<th>Click-through rate</th><td class="number">33%</td>' in totals
    zero = html.split('id="table-zero"')[1].split("</table>")[0]
    assert '<td class="query">sofa</td>' in zero and "lamp" not in zero
    unclicked = html.split('id="table-unclicked"')[1].split("</table>")[0]
    assert '<td class="query">mug</td>' in unclicked and "sofa" not in unclicked
    assert "static/analytics/dashboard.css" in html and "<script" not in html.split("<svg")[1]


def test_weekly_and_a_year(admin_client_: Any, searched: None) -> None:
    response = admin_client_.get(URL, {"days": 365, "by": "week"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="analytics-chart"') == 3 and "Export week counts" in html
    # A bad choice falls back to the defaults instead of failing.
    assert admin_client_.get(URL, {"days": "nope", "by": "month"}).status_code == 200


def test_curation_links_lead_to_the_add_pages_or_say_they_are_missing(
    admin_client_: Any, searched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = {
        "admin:search_synonymgroup_add": "/admin/search/synonymgroup/add/",
        "admin:search_queryrule_add": "/admin/search/queryrule/add/",
    }

    def reverse(name: str) -> str:
        if name not in routes:
            raise NoReverseMatch(name)
        return routes[name]

    monkeypatch.setattr(dashboard, "reverse", reverse)
    html = admin_client_.get(URL).content.decode()
    zero = html.split('id="table-zero"')[1].split("</table>")[0]
    assert '<a href="/admin/search/synonymgroup/add/?terms=sofa">add synonyms</a>' in zero
    assert '<a href="/admin/search/queryrule/add/?query=sofa">create a rule</a>' in zero
    unclicked = html.split('id="table-unclicked"')[1].split("</table>")[0]
    assert "queryrule/add/?query=mug" in unclicked
    routes.clear()
    html = admin_client_.get(URL).content.decode()
    assert "add synonyms" not in html and "synonyms and rules are not installed" in html


@pytest.mark.parametrize(
    ("export", "first_line", "rows"),
    [
        (
            "top",
            "query,searches,zero_results,with_results,clicked,ctr,clicks,mean_position,conversions",
            3,
        ),
        ("zero", "query,searches", 1),
        ("unclicked", "query,searches", 1),
        ("over_time", "day,searches", 30),
    ],
)
def test_csv_exports(
    admin_client_: Any, searched: None, export: str, first_line: str, rows: int
) -> None:
    response = admin_client_.get(URL, {"export": export})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"search-analytics-{export}.csv" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].startswith(first_line) and len(lines) == rows + 1


def test_only_staff_with_view_permission_see_it(searched: None) -> None:
    assert Client().get(URL).status_code == 302  # to the login page
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    client = Client()
    client.force_login(clerk)
    assert client.get(URL).status_code == 403


def test_the_log_list_links_to_the_dashboard_and_is_read_only(
    admin_client_: Any, searched: None
) -> None:
    listing = admin_client_.get("/admin/analytics/searchlog/")
    assert listing.status_code == 200 and URL in listing.content.decode()
    assert admin_client_.get("/admin/analytics/searchlog/add/").status_code == 403
    assert admin_client_.get("/admin/analytics/searchevent/").status_code == 200
