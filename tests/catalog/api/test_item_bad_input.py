"""Bad input to the item API: a clear 4xx with a JSON message, nothing stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.models import Item, ItemImage
from tests.catalog.api.items import ITEMS, RED, data_url, make_item, nothing_stored
from tests.conftest import make_image_bytes
from tests.http_servers import LocalServer, respond

pytestmark = pytest.mark.django_db(transaction=True)


# --- bad input: a clear 4xx with a JSON message, nothing stored ------------------------------


BAD_IMAGES = {
    "text file": (b"just some text", "text/plain", "a.txt"),
    "html named png": (b"<html><body>hi</body></html>", "image/png", "a.png"),
    "truncated png": (make_image_bytes("PNG", size=(120, 120))[:80], "image/png", "t.png"),
    "truncated jpeg": (make_image_bytes("JPEG", size=(200, 200))[:400], "image/jpeg", "t.jpg"),
    "zero bytes": (b"", "image/png", "z.png"),
    "lying content type": (make_image_bytes("JPEG"), "image/png", "lie.png"),
    "bmp": (make_image_bytes("BMP"), "image/bmp", "a.bmp"),
}


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_bad_multipart_images(curator_client: APIClient, settings, case: str) -> None:
    data, content_type, name = BAD_IMAGES[case]
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    response = curator_client.post(
        ITEMS, {"external_id": "bad", "title": "Bad", "images": [upload]}, format="multipart"
    )
    assert 400 <= response.status_code < 500, response.content
    body = response.json()
    assert body["detail"].startswith("images") and "images" in body["errors"]
    assert nothing_stored(settings)


def test_image_over_pixel_limit(curator_client: APIClient, settings) -> None:
    settings.SEARCHAPP_MAX_IMAGE_PIXELS = 50 * 50
    response = curator_client.post(
        ITEMS,
        {
            "external_id": "big",
            "title": "Big",
            "images": [data_url(make_image_bytes(size=(60, 60)))],
        },
        format="json",
    )
    assert response.status_code == 400 and "pixels" in response.json()["detail"]
    assert nothing_stored(settings)


def test_image_over_byte_limit(curator_client: APIClient, settings) -> None:
    settings.SEARCHAPP_MAX_IMAGE_BYTES = 1000
    upload = SimpleUploadedFile(
        "n.png",
        make_image_bytes(size=(400, 400), color=(1, 2, 3)) + b"\0" * 2000,
        content_type="image/png",
    )
    response = curator_client.post(
        ITEMS, {"external_id": "b", "title": "B", "images": [upload]}, format="multipart"
    )
    # The upload stops at the limit: 413, not a 400 after reading the whole file.
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert nothing_stored(settings)


@pytest.mark.parametrize(
    "images",
    [
        ["data:image/png;base64,@@@@"],
        ["not a data url"],
        ["data:image/png,raw"],
        [42],
        "not-a-list",
    ],
)
def test_malformed_data_urls(curator_client: APIClient, settings, images) -> None:
    response = curator_client.post(
        ITEMS, {"external_id": "m", "title": "M", "images": images}, format="json"
    )
    assert response.status_code == 400 and response.json()["detail"]
    assert nothing_stored(settings)


def test_second_bad_image_stores_nothing_from_the_first(
    curator_client: APIClient, settings
) -> None:
    images = [data_url(make_image_bytes()), "data:image/png;base64,AAAA"]
    response = curator_client.post(
        ITEMS, {"external_id": "m", "title": "M", "images": images}, format="json"
    )
    assert response.status_code == 400 and "images[1]" in response.json()["detail"]
    assert nothing_stored(settings)


def test_duplicate_external_id(curator_client: APIClient) -> None:
    make_item("taken")
    response = curator_client.post(
        ITEMS,
        {"external_id": "taken", "title": "Again", "images": [data_url(make_image_bytes())]},
        format="json",
    )
    assert response.status_code == 400
    assert "already exists" in response.json()["detail"]
    assert Item.objects.count() == 1 and ItemImage.objects.count() == 0


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"title": "No id"}, "external_id"),
        ({"external_id": "x"}, "title"),
        ({"external_id": "x", "title": "T", "price": "NaN"}, "price"),
        ({"external_id": "x", "title": "T", "price": "Infinity"}, "price"),
        ({"external_id": "x", "title": "T", "price": "-3"}, "price"),
        ({"external_id": "x", "title": "T", "price": "1e15"}, "price"),
        ({"external_id": "x", "title": "T", "attributes": ["a"]}, "attributes"),
        ({"external_id": "x", "title": "T", "attributes": "{bad json"}, "attributes"),
        ({"external_id": "x", "title": {"nested": 1}}, "title"),
        ({"external_id": "x", "title": "T\x00"}, "title"),
        ({"external_id": "x", "title": "T", "is_active": "perhaps"}, "is_active"),
    ],
)
def test_invalid_fields(curator_client: APIClient, settings, payload: dict, field: str) -> None:
    response = curator_client.post(ITEMS, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert nothing_stored(settings)


def test_wrong_content_type_and_malformed_json(curator_client: APIClient, settings) -> None:
    response = curator_client.generic("POST", ITEMS, "external_id=x", content_type="text/plain")
    assert response.status_code == 415 and "detail" in response.json()
    response = curator_client.generic("POST", ITEMS, "{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["detail"]
    assert nothing_stored(settings)


def test_put_and_patch_with_images_are_refused_without_fetching(
    curator_client: APIClient, image_server: LocalServer
) -> None:
    item = make_item("p")
    image_server.routes["/red.png"] = respond(RED)
    for method, images in [
        ("put", [data_url(make_image_bytes())]),
        ("put", [image_server.url("/red.png")]),
        ("patch", [image_server.url("/red.png")]),
    ]:
        response = getattr(curator_client, method)(
            f"{ITEMS}{item.pk}/",
            {"external_id": "p", "title": "P", "images": images},
            format="json",
        )
        assert response.status_code == 400 and "/images/" in response.json()["detail"]
    assert item.images.count() == 0 and image_server.seen == []


def test_unknown_item_is_404_json(anon_client: APIClient) -> None:
    response = anon_client.get(f"{ITEMS}999999/")
    assert response.status_code == 404 and response.json()["detail"]
