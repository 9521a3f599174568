"""Item images given as URLs: fetched now through the guarded fetcher, or refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from catalog.models import ItemImage
from searchapp.images import image_from_bytes
from tests.catalog.api.items import BLUE, ITEMS, RED, data_url, make_item, nothing_stored
from tests.conftest import make_image_bytes
from tests.http_servers import LocalServer, redirect, respond

pytestmark = pytest.mark.django_db(transaction=True)


# --- images by URL: fetched now through the guarded fetcher -------------------------------------


def test_create_with_image_urls(
    curator_client: APIClient, image_server: LocalServer, dns: dict[str, list[str]]
) -> None:
    dns["cdn.internal"] = ["127.0.0.2"]
    image_server.routes["/red.png"] = respond(RED)
    image_server.routes["/blue.jpg"] = respond(BLUE, content_type="image/jpeg")
    image_server.routes["/old"] = redirect("/blue.jpg")
    payload = {
        "external_id": "web",
        "title": "From the web",
        "images": [
            image_server.url("/red.png"),
            image_server.url("/old", host="cdn.internal"),
            data_url(make_image_bytes("GIF"), "image/gif"),
        ],
    }
    response = curator_client.post(ITEMS, payload, format="json")
    assert response.status_code == 201, response.content
    images = response.json()["images"]
    assert [i["content_type"] for i in images] == ["image/png", "image/jpeg", "image/gif"]
    assert [i["sha256"] for i in images[:2]] == [
        image_from_bytes(RED).sha256,
        image_from_bytes(BLUE).sha256,
    ]
    assert [(seen.path, seen.headers["accept"]) for seen in image_server.seen] == [
        ("/red.png", "image/*"),
        ("/old", "image/*"),
        ("/blue.jpg", "image/*"),
    ]
    multipart = curator_client.post(
        ITEMS,
        {
            "external_id": "mp-url",
            "title": "Multipart URL",
            "images": [image_server.url("/red.png")],
        },
        format="multipart",
    )
    assert multipart.status_code == 201, multipart.content
    assert multipart.json()["images"][0]["sha256"] == image_from_bytes(RED).sha256


# case -> the URL ({port}: the local image server's) and why it is refused
REFUSED_IMAGE_URLS = json.loads((Path(__file__).parent / "refused_image_urls.json").read_text())


@pytest.mark.parametrize("case", list(REFUSED_IMAGE_URLS))
def test_create_with_a_refused_image_url_is_a_400_and_stores_nothing(
    case: str,
    curator_client: APIClient,
    settings,
    image_server: LocalServer,
    loopback_server: LocalServer,
    dns: dict[str, list[str]],
) -> None:
    settings.SEARCHAPP_MAX_IMAGE_BYTES = 2000
    dns["evil.example"] = ["10.0.0.8"]
    loopback_server.routes["/red.png"] = respond(RED)
    image_server.routes["/red.png"] = respond(RED)
    image_server.routes["/hop"] = redirect(loopback_server.url("/red.png"))
    image_server.routes["/page"] = respond(b"<html></html>", content_type="text/html")
    image_server.routes["/page.png"] = respond(b"<html><body>hi</body></html>")
    image_server.routes["/huge.png"] = respond(RED + b"\0" * 5000)
    url, reason = REFUSED_IMAGE_URLS[case]["url"], REFUSED_IMAGE_URLS[case]["reason"]
    images = [image_server.url("/red.png"), url.format(port=image_server.port)]
    response = curator_client.post(
        ITEMS, {"external_id": "bad", "title": "Bad", "images": images}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"].startswith("images[1]: Could not fetch the image: "), body
    assert reason in body["detail"] and reason in body["errors"]["images"]["1"][0]
    assert nothing_stored(settings)
    assert loopback_server.seen == []


def test_more_image_urls_than_an_item_may_hold_are_refused_before_fetching(
    curator_client: APIClient, settings, image_server: LocalServer
) -> None:
    settings.SEARCHAPP_MAX_IMAGES_PER_ITEM = 2
    image_server.routes["/red.png"] = respond(RED)
    images = [image_server.url(f"/red.png?{n}") for n in range(3)]
    response = curator_client.post(
        ITEMS, {"external_id": "many", "title": "Many", "images": images}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "images: An item may have at most 2 images."
    assert image_server.seen == [] and nothing_stored(settings)


def test_image_subresource_by_url(
    curator_client: APIClient, image_server: LocalServer, loopback_server: LocalServer
) -> None:
    item = make_item("img-url")
    url = f"{ITEMS}{item.pk}/images/"
    image_server.routes["/red.png"] = respond(RED)
    loopback_server.routes["/red.png"] = respond(RED)
    created = curator_client.post(url, {"image": image_server.url("/red.png")}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["sha256"] == image_from_bytes(RED).sha256
    refused = curator_client.post(url, {"image": loopback_server.url("/red.png")}, format="json")
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "image: Could not fetch the image: 127.0.0.1 is a loopback address; "
        "only public addresses are fetched."
    )
    assert item.images.count() == 1 and ItemImage.objects.count() == 1
    assert loopback_server.seen == []
