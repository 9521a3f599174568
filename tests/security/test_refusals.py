"""A corpus of hostile and broken inputs, through every API entry point: the item API (JSON
and multipart), the images sub-resource, search (GET, POST, similar) and the item list.

Every refusal is a 4xx with a JSON `detail` a person can read (plus `errors` naming the
field where a field is wrong), and nothing is half-stored: items, images, files under
MEDIA_ROOT and the embedding queue are exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.models import Item
from tests.security.conftest import (
    apng_frames,
    gif_frames,
    gif_with_huge_frame,
    png_declaring,
    png_with_bad_crc,
    solid,
    truncated,
)
from tests.security.corpus import (
    HTML,
    ITEMS,
    JPEG,
    MB,
    ONE_MB_TEXT,
    PNG,
    SEARCH,
    SVG,
    assert_refused,
    data_url,
    stored_state,
    upload,
)

pytestmark = pytest.mark.django_db(transaction=True)


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


def truncated_upload(fmt: str) -> Any:
    whole = solid(fmt, size=(300, 200)) if fmt != "GIF" else gif_frames(1, (300, 200))
    return upload(truncated(whole), f"cut.{fmt.lower()}", "application/octet-stream")


def damaged_png_upload(kind: bytes) -> Any:
    return upload(png_with_bad_crc(kind), "damaged.png")


GIF_POLYGLOT = b"GIF89a<?php system($_GET['c']); ?>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
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
    # A file damaged in transit: every chunk's CRC is checked, not only those Pillow reads.
    *(
        Refusal(f"png-{kind.decode().lower()}-crc-wrong", add_image_file(
            partial(damaged_png_upload, kind)
        ), field="image", detail="a checksum inside the file does not match")
        for kind in (b"IHDR", b"IDAT", b"IEND")
    ),
    Refusal("png-idat-crc-wrong-in-create", create_json(images=[data_url(png_with_bad_crc())]),
            field="images", detail="truncated or corrupt"),
    Refusal("search-png-idat-crc-wrong", search_multipart(
        image=lambda: upload(png_with_bad_crc(), "q.png")
    ), field="image", detail="checksum", anonymous=True),
    Refusal("search-png-idat-crc-wrong-data-url", search_json(
        image=data_url(png_with_bad_crc())
    ), field="image", detail="checksum", anonymous=True),
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
    ), detail="send at most 20 files"),
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
    Refusal("json-not-utf8", raw("POST", ITEMS, b'{"external_id": "x", "title": "caf\xe9"}'),
            detail="send JSON encoded as UTF-8"),
    Refusal("json-declared-utf16-without-bom", raw(
        "POST", ITEMS, b'{"external_id": "x"}', "application/json; charset=utf-16"
    ), detail="charset"),
    Refusal("search-json-latin1-bytes", raw("POST", SEARCH, b'{"text": "\xff\xfe"}'),
            detail="UTF-8", anonymous=True),
    Refusal("multipart-without-boundary", raw(
        "POST", ITEMS, b'--zz\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n',
        "multipart/form-data",
    ), detail="boundary"),
    Refusal("search-multipart-without-boundary", raw(
        "POST", SEARCH, b"--zz\r\n", "multipart/form-data"
    ), detail="boundary", anonymous=True),
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
    Refusal("search-unknown-json-key", search_json(text="lamp", order_by="price"), field="order_by",
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
