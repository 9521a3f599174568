"""A corpus of hostile and broken inputs, through every entry point: the item API (JSON and
multipart), the images sub-resource, search (GET, POST, similar), the item list, the admin
and import_catalog.

Every refusal is a 4xx with a JSON `detail` a person can read (plus `errors` naming the
field where a field is wrong), and nothing is half-stored: items, images, files under
MEDIA_ROOT and the embedding queue are exactly as before. Inputs that a curator would
accept (CMYK and 16-bit photos, EXIF-rotated photos, RTL text, emoji, SQL-looking titles)
are accepted, and what is stored is asserted exactly.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from catalog.models import Item, ItemImage
from embeddings.models import Embedding, EmbeddingSpace, ItemEmbeddingState
from tests.security.conftest import (
    BLUE,
    apng_frames,
    cmyk_jpeg,
    exif_rotated,
    gif_frames,
    gif_with_huge_frame,
    media_files,
    pixel,
    png_16bit,
    png_declaring,
    solid,
    truncated,
)

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = "/api/v1/items/"
SEARCH = "/api/v1/search/"
MB = 1024 * 1024


def data_url(data: bytes, content_type: str = "image/png") -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def upload(data: bytes, name: str = "photo.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- what "nothing half-stored" means ------------------------------------------------------


def stored_state(media_root: Path) -> dict[str, Any]:
    """Everything a write could leave behind."""
    return {
        "items": list(
            Item.objects.order_by("pk").values_list(
                "pk", "external_id", "title", "description", "category", "price", "attributes",
                "is_active", "updated_at",
            )
        ),
        "images": list(ItemImage.objects.order_by("pk").values_list("pk", "item_id", "sha256")),
        "files": media_files(media_root),
        "queue": list(
            ItemEmbeddingState.objects.order_by("pk").values_list(
                "pk", "space_id", "item_id", "status", "input_sha256", "updated_at"
            )
        ),
        "embeddings": Embedding.objects.count(),
    }  # fmt: skip


def assert_refused(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    if field is not None:
        assert field in body["errors"], body
        assert field in body["detail"], body["detail"]
    return dict(body)


# --- the corpus: (what is sent, what must come back) ---------------------------------------


Send = Callable[[APIClient, Item], Any]


@dataclass(frozen=True)
class Refusal:
    id: str
    send: Send
    status: int = 400
    field: str | None = None
    detail: str = ""  # a phrase the detail must contain
    anonymous: bool = False


def create_json(**fields: Any) -> Send:
    body = {"external_id": "new-item", "title": "New item", **fields}
    return lambda client, item: client.post(ITEMS, body, format="json")


def create_multipart(*images: Any, **fields: Any) -> Send:
    def send(client: APIClient, item: Item) -> Any:
        body = {"external_id": "new-item", "title": "New item", **fields}
        if images:
            body["images"] = [image() if callable(image) else image for image in images]
        return client.post(ITEMS, body, format="multipart")

    return send


def add_image_file(make: Callable[[], Any]) -> Send:
    return lambda client, item: client.post(
        f"{ITEMS}{item.pk}/images/", {"image": make()}, format="multipart"
    )


def add_image_json(value: Any) -> Send:
    return lambda client, item: client.post(
        f"{ITEMS}{item.pk}/images/", {"image": value}, format="json"
    )


def raw(method: str, path: str, body: Any, content_type: str = "application/json") -> Send:
    def send(client: APIClient, item: Item) -> Any:
        return client.generic(method, path.format(item=item.pk), body, content_type=content_type)

    return send


def patch_json(**changes: Any) -> Send:
    return lambda client, item: client.patch(f"{ITEMS}{item.pk}/", changes, format="json")


def get(path: str, params: dict[str, Any] | None = None) -> Send:
    return lambda client, item: client.get(path.format(item=item.pk), params or {})


def search_json(**body: Any) -> Send:
    return lambda client, item: client.post(SEARCH, body, format="json")


def search_multipart(**body: Any) -> Send:
    def send(client: APIClient, item: Item) -> Any:
        return client.post(
            SEARCH, {k: v() if callable(v) else v for k, v in body.items()}, format="multipart"
        )

    return send


PNG, JPEG, WEBP, GIF = (solid(fmt) for fmt in ("PNG", "JPEG", "WEBP", "GIF"))


def truncated_upload(fmt: str) -> Any:
    whole = solid(fmt, size=(300, 200)) if fmt != "GIF" else gif_frames(1, (300, 200))
    return upload(truncated(whole), f"cut.{fmt.lower()}", "application/octet-stream")


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
GIF_POLYGLOT = b"GIF89a<?php system($_GET['c']); ?>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
ONE_MB_TEXT = "word " * (MB // 5 + 1)
NESTED_ATTRIBUTES = json.loads("{" + '"a": {' * 25 + "}" * 26)

REFUSALS: list[Refusal] = [
    # --- broken image files (multipart uploads, both entry points) ---
    *(
        Refusal(f"zero-byte-{fmt.lower()}", create_multipart(
            lambda fmt=fmt: upload(b"", f"empty.{fmt.lower()}", f"image/{fmt.lower()}")
        ), field="images", detail="empty")
        for fmt in ("JPEG", "PNG", "WEBP", "GIF")
    ),
    *(
        Refusal(f"truncated-{fmt.lower()}", add_image_file(partial(truncated_upload, fmt)),
                field="image")
        for fmt in ("JPEG", "PNG", "WEBP", "GIF")
    ),
    Refusal("truncated-animated-gif-later-frame", add_image_file(
        lambda: upload(gif_frames(40, (64, 64))[:-200], "anim.gif", "image/gif")
    ), field="image", detail="truncated"),
    Refusal("png-declaring-30000x30000", create_multipart(
        lambda: upload(png_declaring(30000, 30000), "bomb.png")
    ), field="images", detail="too many pixels"),
    Refusal("gif-with-3000-frames", add_image_file(
        lambda: upload(gif_frames(3000), "frames.gif", "image/gif")
    ), field="image", detail="the limit is 500"),
    Refusal("gif-frame-declaring-30000x30000", add_image_file(
        lambda: upload(gif_with_huge_frame(), "frame-bomb.gif", "image/gif")
    ), field="image", detail="pixels"),
    Refusal("apng-with-600-frames", add_image_file(
        lambda: upload(apng_frames(600), "frames.png")
    ), field="image", detail="600 frames"),
    Refusal("svg-named-png", create_multipart(lambda: upload(SVG, "logo.png")), field="images",
            detail="not an image"),
    Refusal("html-named-png", add_image_file(lambda: upload(HTML, "page.png")), field="image",
            detail="not an image"),
    Refusal("gif-php-polyglot", add_image_file(
        lambda: upload(GIF_POLYGLOT, "shell.gif", "image/gif")
    ), field="image"),
    Refusal("pdf-named-jpg", add_image_file(lambda: upload(PDF, "doc.jpg", "image/jpeg")),
            field="image"),
    Refusal("bmp-format", add_image_file(lambda: upload(solid("BMP"), "old.bmp", "image/bmp")),
            field="image", detail="Unsupported"),
    Refusal("tiff-format", add_image_file(
        lambda: upload(solid("TIFF"), "scan.tif", "application/octet-stream")
    ), field="image", detail="Unsupported image format TIFF"),
    Refusal("content-type-lies-png-as-jpeg", create_multipart(
        lambda: upload(PNG, "photo.jpg", "image/jpeg")
    ), field="images", detail="sent as image/jpeg but its content is image/png"),
    Refusal("content-type-lies-jpeg-as-html", add_image_file(
        lambda: upload(JPEG, "photo.jpg", "text/html")
    ), field="image", detail="Unsupported content type 'text/html'"),
    # --- data URLs and base64 ---
    Refusal("data-url-invalid-base64", create_json(images=["data:image/png;base64,@@@!!"]),
            field="images", detail="base64"),
    Refusal("data-url-bad-padding", add_image_json("data:image/png;base64,iVBORw0KGgo="),
            field="image"),
    Refusal("data-url-not-base64", add_image_json("data:image/png,rawbytes"), field="image"),
    Refusal("data-url-javascript", create_json(images=["javascript:alert(1)"]), field="images"),
    Refusal("data-url-html", add_image_json(data_url(HTML, "text/html")), field="image"),
    Refusal("data-url-svg", add_image_json(data_url(SVG, "image/svg+xml")), field="image"),
    Refusal("data-url-empty-payload", add_image_json("data:image/png;base64,"), field="image",
            detail="empty"),
    Refusal("data-url-type-lies", create_json(images=[data_url(PNG, "image/gif")]),
            field="images", detail="sent as image/gif"),
    Refusal("data-url-truncated-png", add_image_json(data_url(truncated(solid(size=(200, 200))))),
            field="image"),
    Refusal("image-as-number", add_image_json(42), field="image"),
    Refusal("images-not-a-list", create_json(images="data:image/png;base64,AAAA"),
            field="images"),
    # --- size limits ---
    Refusal("50mb-multipart-file", create_multipart(
        lambda: upload(b"\x89PNG\r\n\x1a\n" + b"\0" * (50 * MB), "huge.png")
    ), status=413, detail="per image"),
    Refusal("50mb-json-body", raw(
        "POST", ITEMS, b'{"external_id": "x", "title": "x", "images": ["data:image/png;base64,'
        + b"A" * (50 * MB) + b'"]}',
    ), status=413, detail="the limit is"),
    Refusal("50mb-multipart-text-field", create_multipart(description="x" * (50 * MB)),
            status=413),
    Refusal("unknown-format-key-in-body", create_json(format="json"), field="format"),
    Refusal("50mb-form-body", raw(
        "POST", SEARCH, b"q=" + b"a" * (50 * MB), "application/x-www-form-urlencoded"
    ), status=413),
    Refusal("21-files-in-one-request", create_multipart(
        *[lambda n=n: upload(solid(color=(n, 0, 0)), f"{n}.png") for n in range(21)]
    ), detail="too many"),
    Refusal("json-nested-100000-deep", raw("POST", ITEMS, "[" * 100_000 + "]" * 100_000),
            detail="nested too deeply"),
    # --- the JSON itself ---
    Refusal("json-syntax-error", raw("POST", ITEMS, '{"external_id": "x", "title": '),
            detail="JSON parse error"),
    Refusal("json-list-not-object", raw("POST", ITEMS, '[{"external_id": "x"}]'),
            detail="Expected a dictionary"),
    Refusal("json-string-not-object", raw("PATCH", ITEMS + "{item}/", '"rename me"')),
    Refusal("json-lone-surrogate", raw("POST", ITEMS, '{"external_id": "x", "title": "\\ud800"}'),
            detail="surrogate"),
    Refusal("json-price-nan-literal", raw("POST", ITEMS, '{"external_id": "x", "title": "x", "price": NaN}'),
            detail="JSON parse error"),
    Refusal("json-price-1e400", raw("POST", ITEMS, '{"external_id": "x", "title": "x", "price": 1e400}'),
            field="price"),
    # --- field values ---
    Refusal("title-with-nul", create_json(title="Lamp\x00; DROP TABLE"), field="title",
            detail="Null characters"),
    Refusal("description-with-nul", create_multipart(description="a\x00b"), field="description"),
    Refusal("attribute-value-with-nul", create_json(attributes={"color": "re\x00d"}),
            field="attributes", detail="NUL"),
    Refusal("attribute-key-with-nul", patch_json(attributes={"co\x00lor": "red"}),
            field="attributes", detail="NUL"),
    Refusal("attributes-nan-in-multipart", create_multipart(attributes='{"weight": NaN}'),
            field="attributes", detail="nan"),
    Refusal("attributes-nested-25-deep", create_json(attributes=NESTED_ATTRIBUTES),
            field="attributes", detail="nested"),
    Refusal("description-1mb", create_json(description=ONE_MB_TEXT), field="description",
            detail="at most 50000 characters"),
    Refusal("title-501-chars", create_json(title="x" * 501), field="title"),
    Refusal("title-is-a-number", create_json(title=12345), field="title", detail="not a number"),
    Refusal("title-is-a-list", patch_json(title=["Lamp"]), field="title", detail="not a list"),
    Refusal("attributes-string-not-object", create_json(attributes="red"), field="attributes"),
    Refusal("attributes-json-array-in-multipart", create_multipart(attributes="[1, 2]"),
            field="attributes"),
    Refusal("price-nan-string", create_json(price="NaN"), field="price"),
    Refusal("price-infinity-string", patch_json(price="Infinity"), field="price"),
    Refusal("price-negative", create_json(price="-1"), field="price"),
    Refusal("price-1e400-string", create_multipart(price="1e400"), field="price"),
    Refusal("price-boolean", create_json(price=True), field="price"),
    Refusal("is-active-not-boolean", patch_json(is_active="maybe"), field="is_active"),
    Refusal("unknown-field-typo", create_json(descripton="typo"), field="descripton",
            detail="known fields are external_id, title, description"),
    Refusal("images-on-patch", patch_json(images=[data_url(PNG)]), field="images",
            detail="POST /api/v1/items/{id}/images/"),
    Refusal("image-position-negative", raw(
        "POST", ITEMS + "{item}/images/", json.dumps({"image": data_url(PNG), "position": -1})
    ), field="position", detail="from 0 to 10,000"),
    # --- search ---
    *(
        Refusal(f"search-k-{value}", get(SEARCH, {"q": "lamp", "k": value}), field="k",
                detail="k must be a whole number from 1 to 100", anonymous=True)
        for value in ("0", "-5", "1000000", "ten")
    ),
    Refusal("search-page-zero", search_json(text="lamp", page=0), field="page",
            detail="from 1 to 100", anonymous=True),
    Refusal("search-page-huge", get(SEARCH, {"q": "lamp", "page": str(10**30)}), field="page",
            anonymous=True),
    Refusal("search-unknown-parameter", get(SEARCH, {"q": "lamp", "categroy": "Kitchen"}),
            field="categroy", detail="known fields are q, text", anonymous=True),
    Refusal("search-unknown-json-key", search_json(text="lamp", sort="price"), field="sort",
            anonymous=True),
    Refusal("search-unknown-filter", search_json(text="lamp", filters={"colour": "red"}),
            field="filters", detail="filters.colour", anonymous=True),
    Refusal("search-weight-nan", get(SEARCH, {"q": "lamp", "text_weight": "nan"}),
            field="text_weight", anonymous=True),
    Refusal("search-min-score-ratio-infinity", search_json(text="lamp", min_score_ratio="inf"),
            field="min_score_ratio", anonymous=True),
    Refusal("search-item-id-huge", search_json(item_id=10**30), field="item_id", anonymous=True),
    Refusal("search-json-list-body", raw("POST", SEARCH, '["lamp"]'), anonymous=True),
    Refusal("search-filters-not-object", search_json(text="lamp", filters="Kitchen"),
            field="filters", anonymous=True),
    Refusal("search-text-with-nul", get(SEARCH, {"q": "lamp\x00"}), field="text",
            anonymous=True),
    Refusal("search-text-is-a-number", search_json(text=42), field="text", anonymous=True),
    Refusal("search-attribute-name-with-nul", get(SEARCH, {"q": "lamp", "attr.co\x00lor": "red"}),
            field="filters", detail="NUL", anonymous=True),
    Refusal("search-mode-unknown", get(SEARCH, {"q": "lamp", "mode": "fuzzy"}), field="mode",
            anonymous=True),
    Refusal("search-truncated-image", search_multipart(
        image=lambda: upload(truncated(solid("JPEG", size=(300, 200))), "q.jpg", "image/jpeg")
    ), field="image", anonymous=True),
    Refusal("search-zero-byte-image", search_multipart(image=lambda: upload(b"", "q.png")),
            field="image", anonymous=True),
    Refusal("search-svg-data-url", search_json(image=data_url(SVG, "image/png")), field="image",
            anonymous=True),
    Refusal("similar-k-zero", get(ITEMS + "{item}/similar/", {"k": "0"}), field="k",
            anonymous=True),
    Refusal("similar-unknown-parameter", get(ITEMS + "{item}/similar/", {"mode": "lexical"}),
            field="mode", detail="known fields are k, page", anonymous=True),
    # --- the item list ---
    Refusal("list-page-huge", get(ITEMS, {"page": str(10**12)}), status=404,
            detail="Invalid page", anonymous=True),
    Refusal("list-page-negative", get(ITEMS, {"page": "-1"}), status=404, anonymous=True),
    Refusal("list-page-size-zero", get(ITEMS, {"page_size": "0"}), field="page_size",
            detail="from 1 to 100", anonymous=True),
    Refusal("list-unknown-filter", get(ITEMS, {"colour": "red"}), field="colour",
            detail="known fields are category", anonymous=True),
    Refusal("list-price-nan", get(ITEMS, {"price_min": "NaN"}), field="price_min",
            anonymous=True),
    Refusal("item-id-beyond-bigint", get(ITEMS + "99999999999999999999999/"), status=404,
            anonymous=True),
    Refusal("item-id-not-a-number", get(ITEMS + "abc/"), status=404, detail="Not found",
            anonymous=True),
]  # fmt: skip


def test_the_corpus_is_large_and_distinct() -> None:
    ids = [case.id for case in REFUSALS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40


@pytest.mark.parametrize("case", REFUSALS, ids=[case.id for case in REFUSALS])
def test_refused_with_a_clear_error_and_nothing_stored(
    case: Refusal,
    existing_item: Item,
    curator_client: APIClient,
    anon_client: APIClient,
    settings: Any,
) -> None:
    before = stored_state(Path(settings.MEDIA_ROOT))
    client = anon_client if case.anonymous else curator_client
    body = assert_refused(case.send(client, existing_item), case.status, case.field)
    assert case.detail.lower() in body["detail"].lower(), body["detail"]
    assert stored_state(Path(settings.MEDIA_ROOT)) == before


# --- accepted as a curator would: stored exactly -------------------------------------------


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
        from PIL import ImageOps

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


# --- the admin -------------------------------------------------------------------------------


def admin_add(client: Client, data: bytes, name: str, content_type: str, **fields: Any) -> Any:
    return client.post(
        "/admin/catalog/item/add/",
        {
            "external_id": "adm", "title": "Admin item", "description": "", "category": "",
            "price": "", "attributes": "{}", "is_active": "on",
            "images-TOTAL_FORMS": "1", "images-INITIAL_FORMS": "0",
            "images-MIN_NUM_FORMS": "0", "images-MAX_NUM_FORMS": "1000",
            "images-0-image": upload(data, name, content_type), "images-0-position": "0",
            **fields,
        },
    )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "name", "content_type", "fields", "message"),
    [
        (truncated(solid("PNG", size=(300, 200))), "cut.png", "image/png", {}, "truncated"),
        (SVG, "logo.png", "image/png", {}, "not an image"),
        (gif_frames(3000), "frames.gif", "image/gif", {}, "more than 500 frames"),
        (PNG, "ok.png", "image/png", {"description": ONE_MB_TEXT}, "at most 50000 characters"),
        (PNG, "ok.png", "image/png", {"attributes": '{"a": "\\u0000"}'}, "NUL"),
    ],
    ids=["truncated-png", "svg-named-png", "gif-3000-frames", "description-1mb", "nul-attribute"],
)
def test_admin_shows_a_form_error_and_stores_nothing(
    data: bytes, name: str, content_type: str, fields: dict[str, str], message: str,
    admin_user_client: tuple[Any, Client], live_space: EmbeddingSpace, settings: Any,
) -> None:  # fmt: skip
    _, client = admin_user_client
    before = stored_state(Path(settings.MEDIA_ROOT))
    response = admin_add(client, data, name, content_type, **fields)
    assert response.status_code == 200  # the form again, with the error on it
    page = response.content.decode()
    assert "errorlist" in page and message in page
    assert stored_state(Path(settings.MEDIA_ROOT)) == before


def test_admin_stores_an_exif_rotated_photo_upright(
    admin_user_client: tuple[Any, Client], live_space: EmbeddingSpace
) -> None:
    _, client = admin_user_client
    response = admin_add(client, exif_rotated("JPEG"), "side.jpg", "image/jpeg")
    assert response.status_code == 302
    image = ItemImage.objects.get()
    assert (image.width, image.height) == (40, 60)
    with image.image.open("rb") as handle:
        data = handle.read()
    assert image.sha256 == hashlib.sha256(data).hexdigest()


# --- import_catalog ------------------------------------------------------------------------


@dataclass(frozen=True)
class BadRow:
    id: str
    row: dict[str, Any]  # the csv/jsonl keys; an "image" names a file under `files`
    reason: str
    files: dict[str, bytes] = field(default_factory=dict)
    raw_line: str = ""  # jsonl only: the line as written


GOOD_ROWS = [
    {"external_id": "good-1", "title": "Good lamp", "price": "12.50", "image": "good.png"},
    {"external_id": "good-2", "title": "Good mug", "description": "Plain,\nsimple"},
]
ONE_MB_LINES = "line, with a comma\n" * (MB // 19 + 1)

BAD_ROWS = [
    BadRow("csv-title-with-nul", {"title": "Lamp\x00"}, "title contains a NUL character"),
    BadRow("csv-price-nan", {"price": "NaN"}, "not a finite number"),
    BadRow("csv-price-negative", {"price": "-1"}, "is negative"),
    BadRow("csv-price-1e400", {"price": "1e400"}, "price"),
    BadRow("csv-description-1mb", {"description": ONE_MB_LINES}, "at most 50000 characters"),
    BadRow("csv-zero-byte-image", {"image": "empty.jpg"}, "The file is empty",
           files={"empty.jpg": b""}),
    BadRow("csv-truncated-jpeg", {"image": "cut.jpg"}, "truncated",
           files={"cut.jpg": truncated(solid("JPEG", size=(300, 200)))}),
    BadRow("csv-svg-named-png", {"image": "logo.png"}, "not an image", files={"logo.png": SVG}),
    BadRow("csv-gif-3000-frames", {"image": "frames.gif"}, "more than 500 frames",
           files={"frames.gif": gif_frames(3000)}),
    BadRow("csv-png-30000x30000", {"image": "bomb.png"}, "too many pixels",
           files={"bomb.png": png_declaring(30000, 30000)}),
    BadRow("csv-image-outside-folder", {"image": "../../etc/passwd"}, "outside the images folder"),
    BadRow("csv-attributes-not-object", {"attributes": "[1, 2]"}, "must be a JSON object"),
    BadRow("jsonl-title-is-a-number", {"title": 12345}, "title must be text, not int"),
    BadRow("jsonl-attribute-infinity", {"attributes": {"weight": float("inf")}},
           "which JSON cannot store"),
    BadRow("jsonl-attribute-key-with-nul", {"attributes": {"co\x00lor": "red"}},
           "contains a NUL character"),
    BadRow("jsonl-lone-surrogate", {}, "not valid UTF-8",
           raw_line='{"external_id": "bad", "title": "x\\ud800"}'),
    BadRow("jsonl-line-is-a-list", {}, "not a JSON object", raw_line='["bad", "row"]'),
    BadRow("jsonl-line-not-json", {}, "not valid JSON", raw_line='{"external_id": "bad",'),
]  # fmt: skip


def write_rows(folder: Path, case: BadRow) -> Path:
    (folder / "good.png").write_bytes(solid(color=BLUE))
    for name, data in case.files.items():
        (folder / name).write_bytes(data)
    bad = {"external_id": "bad", "title": "Bad lamp", **case.row}
    if case.id.startswith("csv"):
        import csv

        header = ["external_id", "title", "description", "price", "image", "attributes"]
        path = folder / "catalog.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, header)
            writer.writeheader()
            writer.writerows([GOOD_ROWS[0], bad, GOOD_ROWS[1]])
        return path
    path = folder / "catalog.jsonl"
    bad_line = case.raw_line or json.dumps(bad, allow_nan=True)
    lines = [json.dumps(GOOD_ROWS[0]), bad_line, json.dumps(GOOD_ROWS[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case", BAD_ROWS, ids=[case.id for case in BAD_ROWS])
def test_import_reports_the_bad_row_and_keeps_the_good_one(
    case: BadRow, tmp_path: Path, live_space: EmbeddingSpace, settings: Any
) -> None:
    from io import StringIO

    from django.core.management import call_command

    path = write_rows(tmp_path, case)
    out = StringIO()
    call_command("import_catalog", str(path), stdout=out, stderr=StringIO())
    report = out.getvalue().splitlines()
    assert "  created: 2" in report and "  failed: 1" in report, report
    [failure] = [line for line in report if line.startswith("  row 2 ")]
    assert case.reason in failure, failure
    stored = {item.external_id: item for item in Item.objects.all()}
    assert sorted(stored) == ["good-1", "good-2"]
    assert (stored["good-1"].title, str(stored["good-1"].price)) == ("Good lamp", "12.50")
    assert stored["good-2"].description == "Plain,\nsimple"
    [image] = stored["good-1"].images.all()
    assert media_files(Path(settings.MEDIA_ROOT)) == [image.image.name]
    queued = set(ItemEmbeddingState.objects.values_list("item_id", flat=True))
    assert queued == {item.pk for item in stored.values()}


def test_drfs_own_format_parameter_is_not_an_unknown_field(
    anon_client: APIClient, existing_item: Item
) -> None:
    for path in (ITEMS, f"{ITEMS}{existing_item.pk}/similar/"):
        assert anon_client.get(path, {"format": "json"}).status_code == 200, path
    assert anon_client.get(SEARCH, {"q": "lamp", "format": "json"}).status_code == 200
