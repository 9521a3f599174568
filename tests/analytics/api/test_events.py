"""POST /api/v1/analytics/events/: good input, bad input (400 JSON), the schema."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from analytics.models import SearchEvent
from catalog.models import Item

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/events/"


@pytest.fixture
def search_id(items: dict[str, Item], search_api: Callable[..., dict[str, Any]]) -> str:
    return str(search_api("lamp")["search_id"])


def test_a_click_and_a_conversion_are_recorded(search_id: str, items: dict[str, Item]) -> None:
    client = APIClient()
    lamp = items["Floor lamp"]
    click = client.post(URL, {"search_id": search_id, "item_id": lamp.pk, "position": 2},
                        format="json")  # fmt: skip
    assert click.status_code == 201
    body = click.json()
    assert body["kind"] == "click" and body["position"] == 2
    assert body["search_id"] == search_id and body["item_id"] == lamp.pk
    cart = client.post(
        URL, {"search_id": search_id, "item_id": lamp.pk, "position": 2, "kind": "add_to_cart"},
        format="json",
    )  # fmt: skip
    assert cart.status_code == 201
    assert list(SearchEvent.objects.order_by("pk").values_list("kind", "position")) == [
        ("click", 2), ("add_to_cart", 2)
    ]  # fmt: skip


def test_a_signed_in_browser_needs_no_csrf_token(
    search_id: str, items: dict[str, Item], curator: Any
) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)
    body = {"search_id": search_id, "item_id": items["Desk lamp"].pk, "position": 1}
    assert client.post(URL, body, format="json").status_code == 201


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"search_id": str(uuid.UUID(int=7))}, "search_id", "No such search"),
        ({"search_id": "not-a-uuid"}, "search_id", "valid UUID"),
        ({"item_id": 999_999}, "item_id", "No such item"),
        ({"item_id": "x"}, "item_id", "valid integer"),
        ({"position": 0}, "position", "greater than or equal to 1"),
        ({"position": 10_001}, "position", "less than or equal to 10000"),
        ({"kind": "refund"}, "kind", "not a valid choice"),
        ({"ip": "203.0.113.9"}, "ip", "Unknown field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    search_id: str, items: dict[str, Item], change: dict[str, Any], field: str, words: str
) -> None:
    body = {"search_id": search_id, "item_id": items["Desk lamp"].pk, "position": 1, **change}
    response = APIClient().post(URL, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert words in " ".join(response.json()["errors"][field])
    assert SearchEvent.objects.count() == 0


def test_missing_fields_and_non_object_bodies_are_400s(search_id: str) -> None:
    client = APIClient()
    missing = client.post(URL, {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"search_id", "item_id", "position"}
    for body in ("[1, 2]", "null", '"click"'):
        response = client.post(URL, body, content_type="application/json")
        assert response.status_code == 400 and "non_field_errors" in response.json()["errors"]
    broken = client.post(URL, "{", content_type="application/json")
    assert broken.status_code == 400 and "detail" in broken.json()
    form = client.post(URL, {"search_id": search_id})
    assert form.status_code == 415


def test_the_events_endpoint_is_throttled_per_client(
    search_id: str, items: dict[str, Item], settings: Any
) -> None:
    settings.SEARCHAPP_THROTTLE = True
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                   "anon": "2/min"},
    }  # fmt: skip
    from django.core.cache import cache

    cache.clear()
    body = {"search_id": search_id, "item_id": items["Desk lamp"].pk, "position": 1}
    codes = [APIClient().post(URL, body, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_the_schema_documents_the_endpoint_and_the_search_id() -> None:
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/analytics/events/"]["post"]
    assert "201" in operation["responses"] and operation["security"] == [{}]
    request = schema["components"]["schemas"]["SearchEventInputRequest"]
    assert set(request["required"]) == {"search_id", "item_id", "position"}
    kinds = schema["components"]["schemas"]["KindEnum"]["enum"]
    assert "$ref" in str(request["properties"]["kind"]) and kinds == [
        "click",
        "add_to_cart",
        "purchase",
    ]
    output = schema["components"]["schemas"]["SearchOutput"]["properties"]["search_id"]
    assert output["nullable"] is True and output["type"] == "string"
