"""The search API: every query shape and every bad input."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import Item
from embeddings import queue as embedding_queue
from embeddings import spaces as embedding_spaces
from embeddings.models import Embedding, EmbeddingSpace
from embeddings.query import query_vector_cache
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes
from tests.embeddings.fakes import GeometryProvider
from tests.http_servers import LocalServer, redirect, respond
from tests.search.test_service import PROVIDERS, at_angle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_cutoff")]
URL = "/api/v1/search/"
IMAGE = make_image_bytes("PNG", color=(5, 6, 7))
IMAGE_KEY = "image:" + hashlib.sha256(IMAGE).hexdigest()


@pytest.fixture(autouse=True)
def catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Item]]:
    GeometryProvider.table = {
        "lamp": at_angle(0), "red": at_angle(90), "red lamp": at_angle(45), IMAGE_KEY: at_angle(90)
    }  # fmt: skip
    GeometryProvider.fail_with = None
    query_vector_cache.clear()
    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)
    with override_settings(EMBEDDING_PROVIDERS=PROVIDERS):
        space = embedding_spaces.space_create(name="geo", provider_alias="geo", activate=True)
        items = {}
        for name, degrees, category, price, color in [
            ("Desk lamp", 0, "Lighting", "30", "black"),
            ("Floor lamp", 20, "Lighting", "90", "white"),
            ("Red mug", 90, "Kitchen", "8", "red"),
            ("Red lamp", 45, "Lighting", "40", "red"),
        ]:
            item = catalog_services.item_create(
                external_id=name.lower().replace(" ", "-"), title=name, category=category,
                price=Decimal(price), attributes={"color": color},
                images=[image_from_bytes(make_image_bytes(color=(degrees, 1, 1)))],
            )  # fmt: skip
            Embedding.objects.create(
                space=space, item=item, vector=at_angle(degrees), input_sha256="x" * 64
            )
            items[name] = item
        yield items
    query_vector_cache.clear()


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [hit["item"]["title"] for hit in response.json()["results"]]


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_get_text_query_response_shape() -> None:
    response = APIClient().get(URL, {"q": "lamp", "mode": "semantic"})
    body = response.json()
    assert names(response)[:3] == ["Desk lamp", "Floor lamp", "Red lamp"]
    first = body["results"][0]
    assert set(first["item"]) == {
        "id",
        "external_id",
        "title",
        "category",
        "price",
        "thumbnail_url",
    }
    assert first["item"]["thumbnail_url"].startswith("http://testserver/media/items/")
    assert first["matched"] == "text" and first["score"] == pytest.approx(1.0, abs=2e-3)
    assert body["mode"] == "semantic" and body["skipped"] == [] and body["spaces"] == ["geo"]
    assert isinstance(body["took_ms"], float) and body["page"] == 1 and body["has_next"] is False


def test_get_filters_paging_and_modes() -> None:
    client = APIClient()
    assert names(client.get(URL, {"q": "lamp", "mode": "semantic", "category": "Kitchen"})) == [
        "Red mug"
    ]
    assert names(client.get(URL, {"q": "lamp", "mode": "semantic", "price_min": "35", "price_max": "100"})) == [
        "Floor lamp", "Red lamp"
    ]  # fmt: skip
    assert names(client.get(URL, {"q": "lamp", "mode": "semantic", "attr.color": "red"})) == [
        "Red lamp",
        "Red mug",
    ]
    page2 = client.get(URL, {"q": "lamp", "mode": "semantic", "k": "2", "page": "2"})
    assert names(page2) == ["Red lamp", "Red mug"] and page2.json()["has_next"] is False
    assert names(client.get(URL, {"q": "lamp", "mode": "lexical"})) == [
        "Desk lamp",
        "Floor lamp",
        "Red lamp",
    ]
    hybrid = client.get(URL, {"q": "red lamp"})
    assert hybrid.json()["mode"] == "hybrid" and names(hybrid)[0] == "Red lamp"


def test_post_json_with_image_data_url_text_weights_and_filters() -> None:
    client = APIClient()
    assert (
        names(client.post(URL, {"image": data_url(IMAGE), "mode": "semantic"}, format="json"))[0]
        == "Red mug"
    )
    both = client.post(
        URL, {"text": "lamp", "image": data_url(IMAGE), "mode": "semantic"}, format="json"
    )
    assert names(both)[0] == "Red lamp"  # halfway between
    filtered = client.post(
        URL, {"image": data_url(IMAGE), "mode": "semantic", "filters": {"category": ["Lighting"], "price_max": 50}},
        format="json",
    )  # fmt: skip
    assert names(filtered) == ["Red lamp", "Desk lamp"]
    negative = client.post(
        URL, {"text": "lamp", "negative_text": "red", "mode": "semantic", "k": 1}, format="json"
    )
    assert names(negative) == ["Desk lamp"]


def test_post_multipart_with_an_image_file_is_not_stored(settings: Any) -> None:
    before = sorted(p.name for p in (settings.MEDIA_ROOT).rglob("*"))
    upload = SimpleUploadedFile("q.png", IMAGE, content_type="image/png")
    response = APIClient().post(
        URL, {"image": upload, "mode": "semantic", "category": "Kitchen"}, format="multipart"
    )
    assert names(response) == ["Red mug"]
    assert sorted(p.name for p in (settings.MEDIA_ROOT).rglob("*")) == before


def test_image_url_query_is_fetched_from_the_allowed_host_and_not_stored(
    image_server: LocalServer, settings: Any
) -> None:
    image_server.routes["/red.png"] = respond(IMAGE)
    response = APIClient().post(
        URL, {"image": image_server.url("/red.png"), "mode": "semantic"}, format="json"
    )
    assert names(response)[0] == "Red mug"
    assert [seen.path for seen in image_server.seen] == ["/red.png"]
    assert image_server.seen[0].headers["accept"] == "image/*"
    assert Item.objects.count() == 4 and not any(
        path.name.startswith(hashlib.sha256(IMAGE).hexdigest())
        for path in settings.MEDIA_ROOT.rglob("*")
    )


@pytest.mark.parametrize(
    "url,reason",
    [
        ("http://127.0.0.1:{port}/red.png", "127.0.0.1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/red.png", "loopback address"),
        ("http://0x7f.1:{port}/red.png", "0x7f.1 is 127.0.0.1, which is a loopback address"),
        ("http://localhost:{port}/red.png", "localhost names this machine"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address"),
        ("http://evil.example/red.png", "evil.example resolves to 192.168.1.1, a private address"),
        ("http://127.0.0.2:{port}/hop", "127.0.0.1 is a loopback address"),
        ("gopher://127.0.0.1:{port}/", "only http and https URLs are fetched"),
    ],
)
def test_image_url_query_to_a_refused_address_is_a_400(
    url: str,
    reason: str,
    image_server: LocalServer,
    loopback_server: LocalServer,
    dns: dict[str, list[str]],
) -> None:
    dns["evil.example"] = ["192.168.1.1"]
    loopback_server.routes["/red.png"] = respond(IMAGE)
    image_server.routes["/hop"] = redirect(loopback_server.url("/red.png"))
    for method in ("post", "get"):
        response = getattr(APIClient(), method)(
            URL, {"image": url.format(port=loopback_server.port), "mode": "semantic"}
        )
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["detail"].startswith("image: Could not fetch the image: "), body
        assert reason in body["detail"] and reason in body["errors"]["image"][0]
    assert loopback_server.seen == []


def test_similar_items(catalog: dict[str, Item]) -> None:
    desk = catalog["Desk lamp"]
    response = APIClient().get(f"/api/v1/items/{desk.pk}/similar/", {"k": "2"})
    assert names(response) == ["Floor lamp", "Red lamp"]
    assert APIClient().get("/api/v1/items/999999/similar/").status_code == 404
    more = APIClient().post(URL, {"item_id": desk.pk, "mode": "semantic", "k": 1}, format="json")
    assert names(more) == ["Floor lamp"]


def test_a_broken_provider_does_not_take_search_down() -> None:
    GeometryProvider.table = {}  # every lookup raises KeyError: a bug, not a ProviderError
    response = APIClient().get(URL, {"q": "lamp"})
    assert response.status_code == 200 and response.json()["skipped"][0]["part"] == "geo"


def test_degraded_provider_is_reported_not_fatal() -> None:
    from embeddings.providers.base import TransientProviderError

    GeometryProvider.fail_with = TransientProviderError("geo", "timed out")
    body = APIClient().get(URL, {"q": "lamp"}).json()
    assert [hit["item"]["title"] for hit in body["results"]] == [
        "Desk lamp",
        "Floor lamp",
        "Red lamp",
    ]
    assert body["skipped"][0] == {"part": "geo", "reason": "geo: timed out"}
    assert body["mode"] == "lexical"  # what actually answered
    semantic = APIClient().get(URL, {"q": "lamp", "mode": "semantic"}).json()
    assert semantic["mode"] == "lexical" and len(semantic["results"]) == 3


def test_inactive_items_are_hidden_from_anonymous_searchers(catalog: dict[str, Item]) -> None:
    catalog_services.item_update(item=catalog["Desk lamp"], is_active=False)
    assert "Desk lamp" not in names(APIClient().get(URL, {"q": "lamp", "mode": "semantic"}))


@pytest.mark.parametrize(
    "payload,needle",
    [
        ({}, "Give something to search for"),
        ({"text": "   "}, "Give something to search for"),
        ({"mode": "lexical", "image": data_url(IMAGE)}, "Lexical search needs text"),
        ({"text": "x", "mode": "fuzzy"}, "mode"),
        ({"text": "x", "k": 0}, "k"),
        ({"text": "x", "k": 101}, "k"),
        ({"text": "x", "k": "ten"}, "k"),
        ({"text": "x", "page": -1}, "page"),
        ({"text": "x", "page": 10**12}, "page"),
        ({"text": "x", "text_weight": -1}, "text_weight"),
        ({"text": "x", "min_score_ratio": 2}, "min_score_ratio"),
        ({"text": "x", "item_id": "abc"}, "item_id"),
        ({"text": "x", "filters": {"price_min": 10, "price_max": 1}}, "price_min"),
        ({"text": "x", "filters": {"price_min": "NaN"}}, "price_min"),
        ({"text": "x", "filters": {"attributes": ["color"]}}, "attributes"),
        ({"text": "x", "filters": "red"}, "filters"),
        ({"image": "data:image/png;base64,@@@"}, "image"),
        ({"image": "data:text/html;base64,PGI+"}, "image"),
        ({"image": "ftp://example.com/a.png"}, "only http and https URLs are fetched"),
        ({"image": data_url(b"not an image at all")}, "image"),
        ({"text": "x" * 1001}, "text"),
        ({"text": ["a", "list"]}, "text"),
    ],
)
def test_bad_search_input_is_a_clear_400(payload: dict[str, Any], needle: str) -> None:
    response = APIClient().post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert needle in response.json()["detail"] or needle in json.dumps(
        response.json().get("errors", {})
    )


def test_bad_get_and_multipart_input() -> None:
    client = APIClient()
    assert client.get(URL).status_code == 400
    assert client.get(URL, {"q": "x", "price_min": "cheap"}).status_code == 400
    upload = SimpleUploadedFile("q.png", b"<svg/>", content_type="image/png")
    response = client.post(URL, {"image": upload}, format="multipart")
    assert response.status_code == 400 and "image" in response.json()["detail"]
    response = client.post(URL, {"text": "x", "filters": "{not json"}, format="multipart")
    assert response.status_code == 400


def test_search_is_in_the_openapi_schema() -> None:
    schema = (
        APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    )
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/search/"])
    assert "/api/v1/items/{item_id}/similar/" in schema["paths"]


def test_no_active_space_means_lexical_with_a_note() -> None:
    EmbeddingSpace.objects.update(status="retired")
    body = APIClient().get(URL, {"q": "lamp"}).json()
    assert body["mode"] == "lexical" and body["skipped"][0]["part"] == "semantic"


def test_more_like_this_of_an_inactive_or_unknown_item_is_the_similar_endpoints_404(
    catalog: dict[str, Item], curator_client: APIClient
) -> None:
    hidden = catalog["Red mug"]
    Item.objects.filter(pk=hidden.pk).update(is_active=False)
    similar = APIClient().get(f"/api/v1/items/{hidden.pk}/similar/")
    assert similar.status_code == 404
    for item_id in (hidden.pk, 987654321):
        for response in (
            APIClient().get(URL, {"item_id": item_id}),
            APIClient().post(URL, {"item_id": item_id}, format="json"),
            APIClient().post(URL, {"item_id": str(item_id)}, format="multipart"),
        ):
            assert response.status_code == 404, response.content
            assert response.json() == similar.json()
            assert "results" not in response.json()
    # A curator sees inactive items, so more like this of one is answered.
    assert curator_client.get(URL, {"item_id": hidden.pk}).status_code == 200


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"category": "Kitchen"}, "category"),
        ({"category": [5]}, "category"),
        ({"attributes": {"color": 5}}, "attributes"),
        ({"attributes": {"color": [5]}}, "attributes"),
        ({"attributes": {"color": []}}, "attributes"),
        ({"price_min": "cheap"}, "price_min"),
        ({"price_min": -1}, "price_min"),
        ({"price_max": True}, "price_max"),
    ],
)
def test_json_filters_of_the_wrong_type_are_refused_naming_the_field(
    filters: dict[str, Any], field: str
) -> None:
    response = APIClient().post(URL, {"text": "lamp", "filters": filters}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]["filters"], response.json()


@pytest.mark.parametrize("body", [{"k": "5"}, {"page": True}, {"text_weight": "1"},
                                  {"item_id": "3"}, {"min_score_ratio": "0.5"}])  # fmt: skip
def test_json_numbers_must_be_numbers(body: dict[str, Any]) -> None:
    response = APIClient().post(URL, {"text": "lamp", **body}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) >= set(body), response.json()


def test_json_prices_are_numbers_or_decimal_strings(catalog: dict[str, Item]) -> None:
    for price in (35, "35", "35.00", 35.0):
        body = {"text": "lamp", "mode": "semantic", "filters": {"price_max": price}}
        assert names(APIClient().post(URL, body, format="json")) == ["Desk lamp", "Red mug"]


def test_flat_parameters_stay_text(catalog: dict[str, Item]) -> None:
    """Query strings and multipart bodies carry text: numbers and filters parse from it."""
    params = {
        "q": "lamp",
        "mode": "semantic",
        "k": "2",
        "category": "Lighting",
        "attr.color": "red",
    }
    assert names(APIClient().get(URL, params)) == ["Red lamp"]
    assert names(APIClient().post(URL, params, format="multipart")) == ["Red lamp"]
