from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services
from catalog.models import Item, ItemImage
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def inline_management(prefix: str = "images", total: int = 1, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_admin_pages_load(admin_user_client: tuple[Any, Any]) -> None:
    _, client = admin_user_client
    item = services.item_create(
        external_id="a",
        title="Admin item",
        category="Kitchen",
        images=[image_from_bytes(make_image_bytes())],
    )
    for url in [
        "/admin/",
        "/admin/catalog/item/",
        "/admin/catalog/item/add/",
        f"/admin/catalog/item/{item.pk}/change/",
        "/admin/catalog/item/?category=Kitchen",
        "/admin/catalog/item/?q=admin",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    listing = client.get("/admin/catalog/item/").content.decode()
    assert "/media/items/" in listing and "Admin item" in listing  # thumbnail + title
    assert "By category" in listing


def test_admin_needs_staff(client: Any, db: None) -> None:
    response = client.get("/admin/catalog/item/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_creates_item_with_image_through_services(admin_user_client: tuple[Any, Any]) -> None:
    _, client = admin_user_client
    upload = SimpleUploadedFile(
        "pic.png", make_image_bytes(size=(50, 40)), content_type="image/png"
    )
    response = client.post(
        "/admin/catalog/item/add/",
        {
            "external_id": "adm-1",
            "title": "From admin",
            "description": "",
            "category": "Garden",
            "price": "4.50",
            "attributes": "{}",
            "is_active": "on",
            **inline_management(),
            "images-0-image": upload,
            "images-0-position": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = Item.objects.get(external_id="adm-1")
    image = item.images.get()
    assert (image.width, image.height, image.content_type) == (50, 40, "image/png")
    assert len(image.sha256) == 64


def test_admin_rejects_a_bad_image_and_stores_nothing(admin_user_client: tuple[Any, Any]) -> None:
    _, client = admin_user_client
    upload = SimpleUploadedFile("fake.png", b"<html>not an image</html>", content_type="image/png")
    response = client.post(
        "/admin/catalog/item/add/",
        {
            "external_id": "adm-2",
            "title": "Bad",
            "description": "",
            "category": "",
            "price": "",
            "attributes": "{}",
            "is_active": "on",
            **inline_management(),
            "images-0-image": upload,
            "images-0-position": "0",
        },
    )
    assert response.status_code == 200  # the form comes back with the error
    assert Item.objects.count() == 0 and ItemImage.objects.count() == 0


def test_admin_deletes_items_through_services(admin_user_client: tuple[Any, Any]) -> None:
    _, client = admin_user_client
    item = services.item_create(external_id="del", title="Delete me")
    response = client.post(
        "/admin/catalog/item/",
        {
            "action": "delete_selected",
            "_selected_action": [item.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302 and Item.objects.count() == 0
