"""/api/v1/synonyms/ and /api/v1/rules/: staff read, curators with the search permissions
write, errors are JSON; the search response says which rules fired and what is pinned."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from catalog import services as catalog_services
from search.models import QueryRule, SynonymGroup

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def search_curator(curator: User) -> APIClient:
    curator.user_permissions.add(*Permission.objects.filter(content_type__app_label="search"))
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=curator.pk))
    return client


@pytest.fixture
def staff_reader(db: None) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_user("reader", is_staff=True))
    return client


def test_synonyms_crud(search_curator: APIClient) -> None:
    made = search_curator.post(
        "/api/v1/synonyms/", {"kind": "two_way", "terms": ["Sofa", "couch"]}, format="json"
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["terms"] == ["sofa", "couch"] and body["is_active"] is True
    url = f"/api/v1/synonyms/{body['id']}/"
    changed = search_curator.patch(url, {"terms": ["sofa", "settee"]}, format="json")
    assert changed.json()["terms"] == ["sofa", "settee"]
    listed = search_curator.get("/api/v1/synonyms/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    assert search_curator.delete(url).status_code == 204
    assert search_curator.get(url).status_code == 404


def test_rules_crud_and_clear_errors(search_curator: APIClient) -> None:
    catalog_services.item_create(external_id="lamp-1", title="Desk lamp")
    wrong = search_curator.post(
        "/api/v1/rules/",
        {"name": "r", "condition": "Lamp!", "pins": [{"item": "nope", "position": 1}]},
        format="json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"pins": ["No item has the external id nope."]}
    unknown_key = search_curator.post(
        "/api/v1/rules/", {"name": "r", "condition": "x", "pin": []}, format="json"
    )
    assert unknown_key.status_code == 400 and "pin" in unknown_key.json()["errors"]
    made = search_curator.post(
        "/api/v1/rules/",
        {"name": "r", "condition": "Lamp!", "pins": [{"item": "lamp-1", "position": 1}]},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["condition"] == "lamp" and made.json()["match"] == "equals"
    url = f"/api/v1/rules/{made.json()['id']}/"
    assert search_curator.patch(url, {"position": 3}, format="json").json()["position"] == 3
    assert search_curator.delete(url).status_code == 204
    assert not QueryRule.objects.exists()


def test_staff_read_curators_write_others_nothing(
    staff_reader: APIClient, anon_client: APIClient
) -> None:
    SynonymGroup.objects.create(kind="two_way", terms=["a1", "b1"])
    assert staff_reader.get("/api/v1/synonyms/").status_code == 200
    assert staff_reader.get("/api/v1/rules/").status_code == 200
    refused = staff_reader.post(
        "/api/v1/synonyms/", {"kind": "two_way", "terms": ["x", "y"]}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["detail"]
    assert anon_client.get("/api/v1/synonyms/").status_code in (401, 403)
    assert anon_client.get("/api/v1/rules/").json()["detail"]


def test_the_search_response_names_fired_rules_and_pinned_hits(
    anon_client: APIClient, search_curator: APIClient
) -> None:
    catalog_services.item_create(external_id="lamp-1", title="Desk lamp")
    catalog_services.item_create(external_id="chair-1", title="Oak chair")
    rule: dict[str, Any] = {"name": "Chairs for lamps", "condition": "lamp",
                            "pins": [{"item": "chair-1", "position": 1}]}  # fmt: skip
    made = search_curator.post("/api/v1/rules/", rule, format="json").json()
    body = anon_client.get("/api/v1/search/", {"q": "Lamp", "mode": "lexical"}).json()
    assert body["rules"] == [{"id": made["id"], "name": "Chairs for lamps"}]
    assert [(hit["item"]["external_id"], hit["pinned"]) for hit in body["results"]] == [
        ("chair-1", True), ("lamp-1", False)
    ]  # fmt: skip
    plain = anon_client.get("/api/v1/search/", {"q": "chair", "mode": "lexical"}).json()
    assert plain["rules"] == [] and plain["results"][0]["pinned"] is False


def test_the_endpoints_are_in_the_schema(anon_client: APIClient) -> None:
    schema = anon_client.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert {"/api/v1/synonyms/", "/api/v1/synonyms/{id}/", "/api/v1/rules/",
            "/api/v1/rules/{id}/"} <= set(paths)  # fmt: skip
    assert "pinned" in schema["components"]["schemas"]["SearchHit"]["properties"]
    assert "rules" in schema["components"]["schemas"]["SearchOutput"]["properties"]
