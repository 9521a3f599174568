"""Helpers shared by the item API tests."""

from __future__ import annotations

import base64
from pathlib import Path

from catalog import services
from catalog.models import Item, ItemImage
from tests.conftest import make_image_bytes

ITEMS = "/api/v1/items/"
RED = make_image_bytes("PNG", color=(200, 30, 30))
BLUE = make_image_bytes("JPEG", color=(20, 30, 200))


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
