"""Inputs a curator would send that look unusual (CMYK and 16-bit photos, EXIF-rotated
photos, right-to-left text, emoji, SQL-looking titles, values at their limits): accepted,
and what is stored is asserted exactly."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageOps
from rest_framework.test import APIClient

from catalog.models import Item, ItemImage
from embeddings.models import EmbeddingSpace, ItemEmbeddingState
from tests.security.conftest import (
    cmyk_jpeg,
    exif_rotated,
    gif_frames,
    pixel,
    png_16bit,
)
from tests.security.corpus import ITEMS, SEARCH, assert_refused, upload

pytestmark = pytest.mark.django_db(transaction=True)


def created_image(client: APIClient, data: bytes, name: str, content_type: str) -> dict[str, Any]:
    response = client.post(
        ITEMS,
        {"external_id": name, "title": name, "images": [upload(data, name, content_type)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    [image] = response.json()["images"]
    return dict(image)


def stored_bytes(settings: Any, image: dict[str, Any]) -> bytes:
    row = ItemImage.objects.get(pk=image["id"])
    return Path(row.image.path).read_bytes()


@pytest.mark.parametrize(
    ("data", "name", "content_type", "mode"),
    [
        (cmyk_jpeg(), "cmyk.jpg", "image/jpeg", "CMYK"),
        (png_16bit(), "grey16.png", "image/png", "I;16"),
        (gif_frames(10), "small-animation.gif", "image/gif", "P"),
    ],
    ids=["cmyk-jpeg", "16-bit-png", "animated-gif-under-the-limit"],
)
def test_unusual_photos_are_stored_as_they_are(
    data: bytes, name: str, content_type: str, mode: str, curator_client: APIClient,
    live_space: EmbeddingSpace, settings: Any,
) -> None:  # fmt: skip
    image = created_image(curator_client, data, name, content_type)
    assert stored_bytes(settings, image) == data  # byte for byte: browsers show these
    assert image["sha256"] == hashlib.sha256(data).hexdigest()
    assert image["content_type"] == content_type and image["byte_size"] == len(data)
    with Image.open(io.BytesIO(data)) as original:
        assert (image["width"], image["height"]) == original.size and original.mode == mode
    assert ItemEmbeddingState.objects.filter(item__external_id=name, status="pending").exists()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", [6, 3, 8])
def test_exif_rotated_photos_are_stored_upright(
    fmt: str, orientation: int, curator_client: APIClient, live_space: EmbeddingSpace,
    settings: Any,
) -> None:  # fmt: skip
    sideways = exif_rotated(fmt, orientation)
    name = f"rotated.{fmt.lower()}"
    image = created_image(curator_client, sideways, name, f"image/{fmt.lower()}")
    data = stored_bytes(settings, image)
    with Image.open(io.BytesIO(sideways)) as original:
        expected = ImageOps.exif_transpose(original).convert("RGB")
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == fmt
        exif = stored.getexif()
        assert 0x0112 not in exif  # no orientation left for anyone to apply twice
        assert exif.get(0x010F) == "Test camera"  # the other tags are kept
        assert stored.size == expected.size == (image["width"], image["height"])
        upright = stored.convert("RGB")
    # The picture is the turned one, pixel for pixel (JPEG within its loss).
    tolerance = 12 if fmt == "JPEG" else 0
    for x, y in [(2, 2), (expected.width - 3, 2), (2, expected.height - 3),
                 (expected.width - 3, expected.height - 3)]:  # fmt: skip
        got, want = pixel(upright, (x, y)), pixel(expected, (x, y))
        assert all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True)), (x, y)
    assert image["sha256"] == hashlib.sha256(data).hexdigest()
    assert image["byte_size"] == len(data)
    if orientation in (6, 8):
        assert (image["width"], image["height"]) == (40, 60)
    # The same photo sent again is the same stored image.
    again = curator_client.post(
        f"{ITEMS}{image_item(image)}/images/",
        {"image": upload(sideways, name, f"image/{fmt.lower()}")},
        format="multipart",
    )
    assert again.status_code == 200 and again.json()["id"] == image["id"]


def image_item(image: dict[str, Any]) -> int:
    return ItemImage.objects.get(pk=image["id"]).item_id


TRICKY_TITLES = [
    "مصباح مكتب أحمر",  # Arabic, right to left
    "מנורת שולחן \u202eדלוק\u202c",  # Hebrew with a right-to-left override
    "Lamp 💡🔥 👩‍👩‍👧 family edition",  # emoji, a zero-width-joiner sequence
    "Robert'); DROP TABLE catalog_item;-- lamp",
    "' OR 1=1 -- lamp",
    "lamp & | ! :* ( ) <-> \\ % _ \" ' tsquery",
    "Ｆｕｌｌｗｉｄｔｈ lamp ﬁ ligature e\u0301",
]


@pytest.mark.parametrize("title", TRICKY_TITLES)
def test_tricky_titles_round_trip_and_are_searchable(
    title: str, curator_client: APIClient, anon_client: APIClient, live_space: EmbeddingSpace
) -> None:
    response = curator_client.post(
        ITEMS, {"external_id": title, "title": title, "description": title}, format="json"
    )
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]
    stored = Item.objects.get(pk=item_id)
    assert stored.title.encode("utf-8") == title.encode("utf-8")
    assert stored.external_id == stored.description == title
    assert anon_client.get(f"{ITEMS}{item_id}/").json()["title"] == title
    found = anon_client.get(SEARCH, {"q": title, "mode": "lexical"})
    assert found.status_code == 200, found.content
    assert item_id in [hit["item"]["id"] for hit in found.json()["results"]]
    assert anon_client.post(SEARCH, {"text": title}, format="json").status_code == 200


def test_a_description_at_the_limit_is_accepted(
    curator_client: APIClient, live_space: EmbeddingSpace, settings: Any
) -> None:
    settings.SEARCHAPP_MAX_DESCRIPTION_CHARS = 1000
    ok = curator_client.post(
        ITEMS, {"external_id": "a", "title": "A", "description": "d" * 1000}, format="json"
    )
    assert ok.status_code == 201
    refused = curator_client.post(
        ITEMS, {"external_id": "b", "title": "B", "description": "d" * 1001}, format="json"
    )
    assert_refused(refused, 400, "description")
    assert "at most 1000 characters" in refused.json()["detail"]


def test_a_frame_count_at_the_limit_is_accepted(
    curator_client: APIClient, existing_item: Item, settings: Any
) -> None:
    settings.SEARCHAPP_MAX_IMAGE_FRAMES = 12
    url = f"{ITEMS}{existing_item.pk}/images/"
    ok = curator_client.post(url, {"image": upload(gif_frames(12), "a.gif", "image/gif")})
    assert ok.status_code == 201, ok.content
    refused = curator_client.post(url, {"image": upload(gif_frames(13), "b.gif", "image/gif")})
    assert "more than 12 frames; the limit is 12" in assert_refused(refused, 400, "image")["detail"]
