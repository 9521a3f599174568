"""The item API: open reads, curator writes, images as files and data URLs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from searchapp.images import image_from_bytes
from tests.catalog.api.items import ITEMS, data_url, make_item, nothing_stored
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


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
