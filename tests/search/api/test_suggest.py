"""Suggestions while typing: completions, categories, items with thumbnails, typos."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog import services as catalog_services
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/suggest/"


@pytest.fixture(autouse=True)
def books() -> None:
    for external_id, title, category in [
        ("b1", "Learning Python", "Programming"),
        ("b2", "Python Cookbook", "Programming"),
        ("b3", "Fluent Python, Second Edition", "Programming"),
        ("b4", "Pythagoras and His Theorem", "Mathematics"),
        ("b5", "Programming Perl", "Programming"),
        ("b6", "The Art of Poetry", "Poetry"),
    ]:
        catalog_services.item_create(
            external_id=external_id, title=title, category=category,
            images=[image_from_bytes(make_image_bytes())] if external_id == "b2" else [],
        )  # fmt: skip
    catalog_services.item_create(external_id="hidden", title="Python Secrets", is_active=False)


def suggest(q: str) -> dict[str, Any]:
    response = APIClient().get(URL, {"q": q})
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_a_prefix_completes_queries_and_finds_categories_and_items() -> None:
    body = suggest("pyth")
    titles = [item["title"] for item in body["items"]]
    # Titles that start with the prefix first (shorter first), then those with a word that does.
    assert titles == ["Python Cookbook", "Pythagoras and His Theorem", "Learning Python",
                      "Fluent Python, Second Edition"]  # fmt: skip
    assert "Python Secrets" not in titles  # inactive items are never suggested
    assert body["queries"] == ["python", "pythagoras"]
    cookbook = next(item for item in body["items"] if item["title"] == "Python Cookbook")
    assert cookbook["thumbnail_url"] and cookbook["external_id"] == "b2"
    assert suggest("learning pyth")["queries"][0] == "learning python"
    assert suggest("prog")["categories"] == [{"value": "Programming", "count": 4}]


def test_typos_and_short_or_bad_input() -> None:
    typo = suggest("pythno")
    assert [item["title"] for item in typo["items"]][:2] == ["Learning Python", "Python Cookbook"]
    assert typo["queries"][0] == "python"
    assert suggest("p") == {"query": "p", "queries": [], "categories": [], "items": []}
    assert APIClient().get(URL).status_code == 400
    assert APIClient().get(URL, {"q": "x" * 101}).status_code == 400
    assert APIClient().get(URL, {"q": "py", "k": "3"}).status_code == 400
    assert suggest("%_\\")["items"] == []  # LIKE wildcards are literal
