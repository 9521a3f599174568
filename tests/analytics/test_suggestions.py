"""Suggestions while typing complete to popular past queries that found results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from analytics.selectors import popular_queries
from catalog.models import Item
from search.signals import completion_sources

pytestmark = pytest.mark.django_db


def test_suggestions_put_popular_queries_that_found_results_first(
    items: dict[str, Item], search_api: Callable[..., dict[str, Any]]
) -> None:
    for text in ["lamp desk"] * 3 + ["Lamp"] * 2 + ["lamb"] + ["lampshade"] * 2 + ["lamp floor"]:
        search_api(text)
    assert popular_queries in completion_sources
    # lampshade found nothing; "lamp floor" and "lamb" were asked once (kept private).
    assert popular_queries("lam", 5) == ["lamp desk", "lamp"]
    assert popular_queries("lamp d", 5) == ["lamp desk"]
    assert popular_queries("lam", 1) == ["lamp desk"]
    response = APIClient().get("/api/v1/suggest/", {"q": "LAM"})
    assert response.status_code == 200
    queries = response.json()["queries"]
    assert queries[:2] == ["lamp desk", "lamp"] and "lampshade" not in queries
    assert "lamp floor" not in queries


def test_a_prefix_with_like_wildcards_matches_literally(
    items: dict[str, Item], search_api: Callable[..., dict[str, Any]]
) -> None:
    search_api("mug")
    search_api("mug")
    assert popular_queries("m%", 5) == [] and popular_queries("_ug", 5) == []
    assert popular_queries("mu", 5) == ["mug"]
