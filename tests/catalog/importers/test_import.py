"""Importing catalog rows: created, updated, unchanged; resuming and dry runs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.importers import catalog_import
from catalog.models import Item, ItemImage
from tests.catalog.importers.files import (
    BLUE,
    GREEN,
    RED,
    snapshot,
    stored_files,
    write_csv,
    write_image,
    write_jsonl,
    write_queries,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- happy paths and idempotency --------------------------------------------------------------


def test_csv_rows_are_created_with_their_images(catalog_csv: Path, settings: Any) -> None:
    summary = catalog_import(path=catalog_csv)
    assert (summary.format, summary.total, summary.created, summary.failures) == ("csv", 3, 3, [])
    mug = Item.objects.get(external_id="mug-1")
    assert (mug.title, mug.description, mug.category, mug.price) == (
        "Red mug", "A mug.", "Kitchen", Decimal("12.50"),
    )  # fmt: skip
    assert Item.objects.get(external_id="lamp-1").description == 'A lamp, "bright".\nTwo lines.'
    note = Item.objects.get(external_id="note-1")
    assert (note.price, note.images.count()) == (None, 0)
    assert [i.content_type for i in mug.images.all()] == ["image/png"]
    assert [i.content_type for i in Item.objects.get(external_id="lamp-1").images.all()] == [
        "image/jpeg"
    ]
    assert len(stored_files(settings)) == ItemImage.objects.count() == 2


def test_csv_attributes_column_and_extra_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [["a", "Scarf", '{"size": "M", "tags": ["wool"], "color": "blue"}', "red", ""]],
        header=["external_id", "title", "attributes", "color", "material"],
    )
    summary = catalog_import(path=path)
    assert summary.created == 1
    # The JSON column wins over an extra column of the same name; empty cells are left out.
    assert Item.objects.get().attributes == {"size": "M", "tags": ["wool"], "color": "blue"}


def test_jsonl_rows_with_image_and_images(tmp_path: Path) -> None:
    write_image(tmp_path, "a.png", RED)
    write_image(tmp_path, "b.jpg", BLUE)
    path = write_jsonl(
        tmp_path / "catalog.jsonl",
        [
            {"external_id": "j1", "title": "One", "price": 3.5, "image": "a.png",
             "attributes": {"color": "red"}, "brand": "Acme"},
            "",
            {"external_id": 2, "title": "Two", "price": "7", "images": ["a.png", "b.jpg"]},
        ],
    )  # fmt: skip
    summary = catalog_import(path=path)
    assert (summary.format, summary.total, summary.created, summary.failed) == ("jsonl", 2, 2, 0)
    one = Item.objects.get(external_id="j1")
    assert (one.price, one.attributes) == (Decimal("3.50"), {"color": "red", "brand": "Acme"})
    two = Item.objects.get(external_id="2")
    assert [i.content_type for i in two.images.all()] == ["image/png", "image/jpeg"]


def test_rerun_writes_nothing(catalog_csv: Path) -> None:
    catalog_import(path=catalog_csv)
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        summary = catalog_import(path=catalog_csv)
    assert (summary.created, summary.updated, summary.unchanged, summary.failed) == (0, 0, 3, 0)
    assert write_queries(queries) == []
    assert snapshot() == before


def test_changed_field_updates_the_item(catalog_csv: Path) -> None:
    catalog_import(path=catalog_csv)
    before = snapshot()
    text = catalog_csv.read_text().replace("12.50", "13.00")
    catalog_csv.write_text(text)
    summary = catalog_import(path=catalog_csv)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    mug = Item.objects.get(external_id="mug-1")
    assert mug.price == Decimal("13.00")
    assert mug.updated_at > before["mug-1"][0]
    assert snapshot()["lamp-1"] == before["lamp-1"]


def test_changed_image_is_added(catalog_csv: Path, settings: Any) -> None:
    catalog_import(path=catalog_csv)
    (catalog_csv.parent / "img" / "mug.png").write_bytes(GREEN)
    summary = catalog_import(path=catalog_csv)
    assert (summary.updated, summary.unchanged, summary.images_added) == (1, 2, 1)
    mug = Item.objects.get(external_id="mug-1")
    assert mug.images.count() == 2  # images are added, never removed
    assert len(stored_files(settings)) == ItemImage.objects.count() == 3
    assert catalog_import(path=catalog_csv).unchanged == 3


# --- options, command, progress ---------------------------------------------------------------


def test_start_at_skips_the_first_rows(catalog_csv: Path) -> None:
    summary = catalog_import(path=catalog_csv, start_at=2)
    assert (summary.skipped, summary.created) == (2, 1)
    assert list(Item.objects.values_list("external_id", flat=True)) == ["note-1"]
    resumed = catalog_import(path=catalog_csv)
    assert (resumed.created, resumed.unchanged) == (2, 1)


def test_start_at_still_sees_duplicates_of_skipped_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv", [["a", "A", "", "", "", ""], ["a", "Again", "", "", "", ""]]
    )
    summary = catalog_import(path=path, start_at=1)
    assert [f.reason for f in summary.failures] == [
        "duplicate external_id: already in row 1 (c.csv line 2)"
    ]


def test_dry_run_validates_and_writes_nothing(catalog_csv: Path, settings: Any) -> None:
    write_csv(
        catalog_csv,
        [["mug-1", "Red mug", "", "", "12.50", "img/mug.png"], ["x", "X", "", "", "-3", ""]],
    )
    with CaptureQueriesContext(connection) as queries:
        summary = catalog_import(path=catalog_csv, dry_run=True)
    assert (summary.dry_run, summary.created, summary.failed) == (True, 1, 1)
    assert write_queries(queries) == []
    assert Item.objects.count() == 0 and stored_files(settings) == []
    catalog_import(path=catalog_csv)
    catalog_csv.write_text(catalog_csv.read_text().replace("Red mug", "Blue mug"))
    summary = catalog_import(path=catalog_csv, dry_run=True)
    assert summary.updated == 1
    assert Item.objects.get().title == "Red mug"
