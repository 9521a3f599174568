"""Items for the embedding tests, written through the catalog's services."""

from __future__ import annotations

from typing import Any

from catalog import services as catalog_services
from catalog.models import Item
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes


def make_item(external_id: str, title: str = "Red mug", images: int = 1, **fields: Any) -> Item:
    """An item with ``images`` distinct images (their colour differs per image and item)."""
    offset = sum(external_id.encode()) % 97
    return catalog_services.item_create(
        external_id=external_id, title=title,
        images=[image_from_bytes(make_image_bytes(color=(n * 40 % 255, 10 + offset, 10)))
                for n in range(images)],
        **fields,
    )  # fmt: skip
