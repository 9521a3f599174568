"""The relevant set (cutoff), facet counts over it, and sorting it, through the API on a
catalog of known geometry: one 3-d space, every item at a known angle from the query."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import Item
from embeddings import queue as embedding_queue
from embeddings import spaces as embedding_spaces
from embeddings.models import Embedding
from embeddings.query import query_vector_cache
from search.models import FacetAttribute
from tests.embeddings.fakes import GeometryProvider
from tests.search.test_service import PROVIDERS, at_angle

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/search/"
# (title, angle from the query "lamp", category, price, colour)
ITEMS = [
    ("Desk lamp", 0, "Lighting", "30", "black"),
    ("Floor lamp", 10, "Lighting", "90", "white"),
    ("Lamp shade", 20, "Lighting", None, "red"),
    ("Table lamp", 30, "Lighting", "45", "red"),
    ("Candle", 40, "Kitchen", "5", "white"),
    ("Oil lantern", 50, "Garden", "25", "black"),
    ("Mug", 60, "Kitchen", "8", "red"),
    ("Teapot", 70, "Kitchen", "20", "white"),
    ("Rake", 80, "Garden", "15", "black"),
    ("Spade", 90, "Garden", "18", "black"),
]


@pytest.fixture(autouse=True)
def catalog(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[dict[str, Item]]:
    settings.SEARCHAPP_CUTOFF_SIMILARITY_RATIO = 0.75  # the geometry below is made for it
    GeometryProvider.table = {"lamp": at_angle(0)}
    GeometryProvider.fail_with = None
    query_vector_cache.clear()
    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)
    FacetAttribute.objects.create(key="color", label="Colour")
    with override_settings(EMBEDDING_PROVIDERS=PROVIDERS):
        space = embedding_spaces.space_create(name="geo", provider_alias="geo", activate=True)
        items = {}
        for title, degrees, category, price, color in ITEMS:
            item = catalog_services.item_create(
                external_id=title.lower().replace(" ", "-"), title=title, category=category,
                price=None if price is None else Decimal(price), attributes={"color": color},
            )  # fmt: skip
            Embedding.objects.create(
                space=space, item=item, vector=at_angle(degrees), input_sha256="x" * 64
            )
            items[title] = item
        yield items
    query_vector_cache.clear()


def search(**params: Any) -> dict[str, Any]:
    response = APIClient().get(URL, {"q": "lamp", "mode": "semantic", "k": 100, **params})
    assert response.status_code == 200, response.content
    return dict(response.json())


def titles(body: dict[str, Any]) -> list[str]:
    return [hit["item"]["title"] for hit in body["results"]]


def test_the_relevant_set_ends_where_relevance_ends() -> None:
    # One space alone: cosine similarity >= 0.75 of the best (1.0): within ~41 degrees.
    body = search()
    assert titles(body) == ["Desk lamp", "Floor lamp", "Lamp shade", "Table lamp", "Candle"]
    assert body["total"] == 5 and body["cutoff"] == 0.75
    assert search(cutoff="off")["total"] == 10 and search(cutoff="off")["cutoff"] is None
    assert titles(search(cutoff="0.9")) == ["Desk lamp", "Floor lamp", "Lamp shade"]
    posted = APIClient().post(URL, {"text": "lamp", "mode": "semantic", "cutoff": 0.9},
                              format="json").json()  # fmt: skip
    assert posted["total"] == 3
    for bad in ("sometimes", "1.5", "-1"):
        assert APIClient().get(URL, {"q": "lamp", "cutoff": bad}).status_code == 400


def test_facet_counts_are_what_filtering_by_the_value_returns() -> None:
    body = search(cutoff="off")
    facets = body["facets"]
    assert {f["value"]: f["count"] for f in facets["categories"]} == {
        "Lighting": 4, "Kitchen": 3, "Garden": 3
    }  # fmt: skip
    for value in facets["categories"]:
        assert search(cutoff="off", category=value["value"])["total"] == value["count"]
    for bucket in facets["prices"]:
        bounds = {k: bucket[k] for k in ("min", "max") if bucket[k] is not None}
        narrowed = search(cutoff="off", **{f"price_{k}": v for k, v in bounds.items()})
        assert narrowed["total"] == bucket["count"], bucket
    assert sum(b["count"] for b in facets["prices"]) == 9  # the lamp shade has no price
    (colour,) = facets["attributes"]
    assert colour["key"] == "color" and colour["label"] == "Colour"
    for value in colour["values"]:
        assert search(cutoff="off", **{"attr.color": value["value"]})["total"] == value["count"]


def test_counts_are_disjunctive_within_a_facet_and_follow_the_relevant_set() -> None:
    relevant = search()["facets"]
    assert {f["value"]: f["count"] for f in relevant["categories"]} == {"Lighting": 4, "Kitchen": 1}
    chosen = search(category="Kitchen")
    assert titles(chosen) == ["Candle"]
    counts = {f["value"]: (f["count"], f["selected"]) for f in chosen["facets"]["categories"]}
    assert counts == {"Lighting": (4, False), "Kitchen": (1, True)}
    both = search(cutoff="off", **{"attr.color": ["red", "white"]})
    assert both["total"] == 6
    values = {v["value"]: v for v in both["facets"]["attributes"][0]["values"]}
    assert values["black"]["count"] == 4 and not values["black"]["selected"]
    assert values["red"]["selected"] and values["white"]["selected"]
    red_in_lighting = search(cutoff="off", category="Lighting", **{"attr.color": "red"})
    assert titles(red_in_lighting) == ["Lamp shade", "Table lamp"]


def test_sorting_orders_the_relevant_set_only() -> None:
    assert titles(search(sort="price")) == [
        "Candle", "Desk lamp", "Table lamp", "Floor lamp", "Lamp shade"
    ]  # fmt: skip
    assert titles(search(sort="-price")) == [
        "Floor lamp", "Table lamp", "Desk lamp", "Candle", "Lamp shade"
    ]  # fmt: skip
    assert titles(search(sort="title")) == sorted(titles(search()))
    assert titles(search(sort="newest")) == list(reversed(titles(search())))
    paged = [titles(search(sort="price", k=2, page=page)) for page in (1, 2, 3)]
    assert paged == [["Candle", "Desk lamp"], ["Table lamp", "Floor lamp"], ["Lamp shade"]]
    assert APIClient().get(URL, {"q": "lamp", "sort": "cheapest"}).status_code == 400


def test_facets_without_a_query_and_lexical_keeps_every_match() -> None:
    response = APIClient().get("/api/v1/facets/", {"category": "Garden"})
    assert response.status_code == 200
    body = response.json()
    assert {f["value"]: f["count"] for f in body["categories"]} == {
        "Lighting": 4, "Kitchen": 3, "Garden": 3
    }  # fmt: skip
    assert sum(b["count"] for b in body["prices"]) == 3  # the garden's prices only
    assert APIClient().get("/api/v1/facets/", {"q": "x"}).status_code == 400
    lexical = APIClient().get(URL, {"q": "lamp", "mode": "lexical"}).json()
    assert lexical["total"] == 4 and lexical["cutoff"] is None
