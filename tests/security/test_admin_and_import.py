"""Hostile and broken inputs through the admin and import_catalog (a form error or a reported
skipped row, nothing stored), and DRF's own `format` parameter."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Item, ItemImage
from embeddings.models import EmbeddingSpace, ItemEmbeddingState
from tests.security.conftest import (
    BLUE,
    exif_rotated,
    gif_frames,
    media_files,
    png_declaring,
    png_with_bad_crc,
    solid,
    truncated,
)
from tests.security.corpus import (
    ITEMS,
    MB,
    ONE_MB_TEXT,
    PNG,
    SEARCH,
    SVG,
    stored_state,
    upload,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
        (png_with_bad_crc(), "damaged.png", "image/png", {}, "checksum"),
        (gif_frames(3000), "frames.gif", "image/gif", {}, "more than 500 frames"),
        (PNG, "ok.png", "image/png", {"description": ONE_MB_TEXT}, "at most 50000 characters"),
        (PNG, "ok.png", "image/png", {"attributes": '{"a": "\\u0000"}'}, "NUL"),
    ],
    ids=[
        "truncated-png",
        "svg-named-png",
        "png-idat-crc-wrong",
        "gif-3000-frames",
        "description-1mb",
        "nul-attribute",
    ],
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
    BadRow("csv-png-idat-crc-wrong", {"image": "damaged.png"}, "checksum",
           files={"damaged.png": png_with_bad_crc()}),
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
