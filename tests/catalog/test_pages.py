from __future__ import annotations

from typing import Any

import pytest

from catalog import services
from catalog.images import image_from_bytes
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_lists_items_and_filters_by_category(client: Any) -> None:
    services.item_create(
        external_id="a",
        title="Red kettle",
        category="Kitchen",
        images=[image_from_bytes(make_image_bytes())],
    )
    services.item_create(external_id="b", title="Garden hose", category="Garden")
    page = client.get("/").content.decode()
    assert "Red kettle" in page and "Garden hose" in page and 'alt="Red kettle"' in page
    page = client.get("/?category=Garden").content.decode()
    assert "Garden hose" in page and "Red kettle" not in page


def test_empty_catalog_says_so(client: Any) -> None:
    assert "The catalog is empty" in client.get("/").content.decode()


def test_item_page(client: Any) -> None:
    item = services.item_create(external_id="a", title="Red kettle", attributes={"color": "red"})
    page = client.get(f"/items/{item.pk}/").content.decode()
    assert "Red kettle" in page and "color" in page
    assert client.get("/items/999999/").status_code == 404
