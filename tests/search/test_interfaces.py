"""The browser page, the API and `manage.py search` parse the same parameters through one
function and give the same results for the same queries."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Item
from tests.search.api.test_search_api import catalog  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_cutoff")]

QUERIES: list[dict[str, Any]] = [
    {"q": "lamp", "mode": "semantic"},
    {"q": "lamp", "mode": "hybrid"},
    {"q": "red lamp", "mode": "lexical"},
    {"q": "red", "mode": "semantic", "category": ["Lighting"]},
    {"q": "lamp", "mode": "hybrid", "category": ["Lighting", "Kitchen"], "k": "2", "page": "2"},
    {"q": "lamp", "mode": "semantic", "negative_text": "red"},
]


def api_ids(params: dict[str, Any]) -> list[int]:
    response = APIClient().get("/api/v1/search/", params)
    assert response.status_code == 200, response.content
    return [hit["item"]["id"] for hit in response.json()["results"]]


def page_ids(params: dict[str, Any]) -> list[int]:
    response = Client().get("/", params)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'href="/items/(\d+)/"', response.content.decode())]


def cli_ids(params: dict[str, Any]) -> list[int]:
    args = [params["q"], "--mode", params["mode"], "--k", params.get("k", "24")]
    args += ["--page", params.get("page", "1")]
    for category in params.get("category", []):
        args += ["--category", category]
    if "negative_text" in params:
        args += ["--not", params["negative_text"]]
    out = StringIO()
    call_command("search", *args, stdout=out)
    header, *rows = out.getvalue().splitlines()[1:]
    start = re.search(r"\bid\b", header).start()  # type: ignore[union-attr]
    return [int(row[start:].split()[0]) for row in rows if row.strip()]


@pytest.mark.parametrize("params", QUERIES, ids=lambda p: "-".join(map(str, p.values())))
def test_browser_api_and_cli_agree(params: dict[str, Any], catalog: dict[str, Item]) -> None:  # noqa: F811
    expected = api_ids(params)
    assert expected, "a query that finds nothing compares nothing"
    assert cli_ids(params) == expected
    assert list(dict.fromkeys(page_ids(params))) == expected
