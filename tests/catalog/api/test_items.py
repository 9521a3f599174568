from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog import services
from catalog.models import Item, ItemImage
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes
from tests.http_servers import LocalServer, redirect, respond

pytestmark = pytest.mark.django_db(transaction=True)
ITEMS = "/api/v1/items/"


def data_url(data: bytes, content_type: str = "image/png") -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def nothing_stored(settings) -> bool:
    root = Path(settings.MEDIA_ROOT)
    files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return Item.objects.count() == 0 and ItemImage.objects.count() == 0 and files == []


def make_item(external_id: str = "sku", **fields) -> Item:
    return services.item_create(
        external_id=external_id, title=fields.pop("title", external_id), **fields
    )


# --- reads are open -----------------------------------------------------------------------


def test_anonymous_list_is_paginated_and_filterable(anon_client: APIClient) -> None:
    for n in range(30):
        make_item(f"k{n:02}", category="Kitchen" if n % 2 else "Garden", price=Decimal(n))
    make_item("hidden", is_active=False)
    page = anon_client.get(ITEMS).json()
    assert page["count"] == 30 and len(page["results"]) == 24 and page["next"]
    assert anon_client.get(ITEMS, {"page": 2}).json()["results"][-1]["external_id"] == "k00"
    kitchen = anon_client.get(
        ITEMS, {"category": "Kitchen", "price_min": "10", "price_max": "20"}
    ).json()
    assert sorted(r["external_id"] for r in kitchen["results"]) == [
        "k11",
        "k13",
        "k15",
        "k17",
        "k19",
    ]
    by_price = anon_client.get(ITEMS, {"ordering": "-price", "page_size": "3"}).json()
    assert [r["price"] for r in by_price["results"]] == ["29.00", "28.00", "27.00"]
    assert anon_client.get(ITEMS, {"external_id": "k05"}).json()["count"] == 1


def test_anonymous_cannot_see_inactive_items(
    anon_client: APIClient, curator_client: APIClient
) -> None:
    hidden = make_item("hidden", is_active=False)
    assert anon_client.get(f"{ITEMS}{hidden.pk}/").status_code == 404
    assert anon_client.get(ITEMS, {"is_active": "false"}).json()["count"] == 0
    assert curator_client.get(f"{ITEMS}{hidden.pk}/").status_code == 200
    assert curator_client.get(ITEMS, {"is_active": "false"}).json()["count"] == 1


def test_retrieve_shows_images_with_absolute_urls(anon_client: APIClient) -> None:
    item = make_item("pic", images=[image_from_bytes(make_image_bytes("JPEG", size=(33, 22)))])
    body = anon_client.get(f"{ITEMS}{item.pk}/").json()
    assert body["images"][0]["width"] == 33 and body["images"][0]["content_type"] == "image/jpeg"
    assert body["thumbnail_url"].startswith("http://testserver/media/items/")
    media = anon_client.get(body["thumbnail_url"].removeprefix("http://testserver"))
    assert media.status_code == 200 and media["Content-Type"] == "image/jpeg"
    assert media["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"price_min": "cheap"}, "price_min"),
        ({"price_min": "9", "price_max": "1"}, "price_min"),
        ({"ordering": "random"}, "ordering"),
        ({"page": "999"}, None),
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
        ({"categroy": "Kitchen"}, "categroy"),
    ],
)
def test_bad_list_parameters(
    anon_client: APIClient, params: dict[str, str], field: str | None
) -> None:
    make_item()
    response = anon_client.get(ITEMS, params)
    if field is None:  # a page past the last is a 404, as DRF answers it
        assert response.status_code == 404
        assert response.json() == {"detail": "Invalid page."}
    else:
        assert response.status_code == 400
        assert field in response.json()["errors"] and field in response.json()["detail"]


# --- writes need a curator ----------------------------------------------------------------


def test_anonymous_and_plain_users_cannot_write(anon_client: APIClient, settings) -> None:
    assert (
        anon_client.post(ITEMS, {"external_id": "x", "title": "X"}, format="json").status_code
        == 401
    )
    user = User.objects.create_user("shopper", password="pw-shopper-1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = client.post(ITEMS, {"external_id": "x", "title": "X"}, format="json")
    assert response.status_code == 403 and "detail" in response.json()
    assert nothing_stored(settings)


def test_token_endpoint_gives_a_working_token(curator: User) -> None:
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "curator", "password": "curator-pass-123"}
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post(ITEMS, {"external_id": "t", "title": "T"}, format="json").status_code == 201


def test_session_writes_need_csrf(curator: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="curator", password="curator-pass-123")
    response = client.post(ITEMS, {"external_id": "s", "title": "S"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_create_with_json_and_data_url_images(curator_client: APIClient) -> None:
    payload = {
        "external_id": "mug-1",
        "title": "Blue mug",
        "description": "Holds tea.",
        "category": "Kitchen",
        "price": "9.99",
        "attributes": {"color": "blue"},
        "images": [
            data_url(make_image_bytes("PNG")),
            data_url(make_image_bytes("JPEG"), "image/jpeg"),
        ],
    }
    response = curator_client.post(ITEMS, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["title"] == "Blue mug"
        and body["price"] == "9.99"
        and body["attributes"] == {"color": "blue"}
    )
    assert [i["content_type"] for i in body["images"]] == ["image/png", "image/jpeg"]


def test_create_with_multipart_files(curator_client: APIClient) -> None:
    files = [
        SimpleUploadedFile("a.png", make_image_bytes("PNG"), content_type="image/png"),
        SimpleUploadedFile("b.webp", make_image_bytes("WEBP"), content_type="image/webp"),
    ]
    response = curator_client.post(
        ITEMS,
        {
            "external_id": "mp",
            "title": "Multipart",
            "attributes": json.dumps({"size": "L"}),
            "images": files,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["attributes"] == {"size": "L"}
    assert len(response.json()["images"]) == 2


def test_update_and_delete(curator_client: APIClient, settings) -> None:
    item = make_item("u", title="Old", images=[image_from_bytes(make_image_bytes())])
    response = curator_client.patch(
        f"{ITEMS}{item.pk}/", {"title": "New", "price": "5"}, format="json"
    )
    assert response.status_code == 200 and response.json()["title"] == "New"
    response = curator_client.put(
        f"{ITEMS}{item.pk}/", {"external_id": "u", "title": "Put"}, format="json"
    )
    assert response.status_code == 200 and response.json()["price"] is None
    assert curator_client.delete(f"{ITEMS}{item.pk}/").status_code == 204
    assert nothing_stored(settings)


def test_image_subresource(curator_client: APIClient, anon_client: APIClient) -> None:
    item = make_item("img")
    url = f"{ITEMS}{item.pk}/images/"
    assert (
        anon_client.post(url, {"image": data_url(make_image_bytes())}, format="json").status_code
        == 401
    )
    created = curator_client.post(url, {"image": data_url(make_image_bytes())}, format="json")
    assert created.status_code == 201
    again = curator_client.post(url, {"image": data_url(make_image_bytes())}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    upload = SimpleUploadedFile("x.gif", make_image_bytes("GIF"), content_type="image/gif")
    assert curator_client.post(url, {"image": upload}, format="multipart").status_code == 201
    assert len(anon_client.get(url).json()) == 2
    assert curator_client.delete(f"{url}{created.json()['id']}/").status_code == 204
    assert curator_client.delete(f"{url}{created.json()['id']}/").status_code == 404


# --- images by URL: fetched now through the guarded fetcher -------------------------------------

RED = make_image_bytes("PNG", color=(200, 30, 30))
BLUE = make_image_bytes("JPEG", color=(20, 30, 200))


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


REFUSED_IMAGE_URLS = {
    "loopback": ("http://127.0.0.1:{port}/red.png", "127.0.0.1 is a loopback address"),
    "decimal": ("http://2130706433:{port}/red.png", "which is a loopback address"),
    "mapped": ("http://[::ffff:127.0.0.1]:{port}/red.png", "which is a loopback address"),
    "localhost": ("http://localhost:{port}/red.png", "localhost names this machine"),
    "metadata": ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
    "private name": ("http://evil.example/red.png", "resolves to 10.0.0.8, a private address"),
    "redirect": ("http://127.0.0.2:{port}/hop", "127.0.0.1 is a loopback address"),
    "scheme": ("file:///etc/passwd", "only http and https URLs are fetched"),
    "html": ("http://127.0.0.2:{port}/page", "the content type is text/html, not image/*"),
    "html as png": ("http://127.0.0.2:{port}/page.png", "not a JPEG, PNG, WebP or GIF image"),
    "too large": ("http://127.0.0.2:{port}/huge.png", "larger than the limit of 2,000 bytes"),
    "gone": ("http://127.0.0.2:{port}/gone.png", "HTTP 404 Not Found"),
}


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
    url, reason = REFUSED_IMAGE_URLS[case]
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
