"""Rows that cannot be imported are reported; the good rows around them are kept."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from catalog.importers import catalog_import
from catalog.models import Item, ItemImage
from tests.catalog.importers.files import (
    BLUE,
    HEADER,
    RED,
    snapshot,
    stored_files,
    truncated_png,
    write_csv,
    write_image,
    write_jsonl,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- bad rows ---------------------------------------------------------------------------------


def bad_row(*extra_cells: str, **cells: str) -> list[str]:
    values = dict(zip(HEADER, ["bad", "Bad", "", "", "1", ""], strict=True)) | cells
    return [values[name] for name in HEADER] + list(extra_cells)


def only_the_bad_row_fails(folder: Path, settings: Any, row: list[str], reason: str) -> None:
    write_image(folder, "good.png", RED)
    write_image(folder, "notes.txt", b"just some text")
    write_image(folder, "cut.png", truncated_png())
    write_image(folder.parent, "outside.png", BLUE)
    path = write_csv(
        folder / "c.csv",
        [["g1", "Good one", "", "", "1", "good.png"], row, ["g2", "Good two", "", "", "2", ""]],
    )
    summary = catalog_import(path=path)
    assert (summary.created, summary.failed) == (2, 1)
    [failure] = summary.failures
    assert (failure.row, failure.line, failure.file) == (2, 3, "c.csv")
    assert reason in failure.reason
    assert set(Item.objects.values_list("external_id", flat=True)) == {"g1", "g2"}
    assert len(stored_files(settings)) == ItemImage.objects.count() == 1


@pytest.mark.parametrize(
    "row,reason",
    [
        (bad_row(title=""), "Missing title."),
        (bad_row(external_id=""), "Missing external_id."),
        (bad_row(description="a\x00b"), "description contains a NUL character."),
        (bad_row("x" * 600, price=""), "The row has 7 cells but the header 6."),
    ],
)
def test_a_row_with_bad_fields_fails_alone(
    tmp_path: Path, settings: Any, row: list[str], reason: str
) -> None:
    only_the_bad_row_fails(tmp_path, settings, row, reason)


@pytest.mark.parametrize(
    "price,reason",
    [
        ("abc", "price 'abc' is not a number."),
        ("NaN", "price 'NaN' is not a finite number."),
        ("-1", "price '-1' is negative."),
        ("1.999", "price: Ensure that there are no more"),
    ],
)
def test_a_row_with_a_bad_price_fails_alone(
    tmp_path: Path, settings: Any, price: str, reason: str
) -> None:
    only_the_bad_row_fails(tmp_path, settings, bad_row(price=price), reason)


@pytest.mark.parametrize(
    "image,reason",
    {
        "img/missing.png": "Image file img/missing.png not found.",
        "notes.txt": "Image notes.txt: The file is not an image",
        "cut.png": "Image cut.png: The image is truncated or corrupt",
        "../outside.png": "lies outside the images folder",
        "ftp://example.com/a.png": "only http and https",
    }.items(),
)
def test_a_row_with_a_bad_image_fails_alone(
    tmp_path: Path, settings: Any, image: str, reason: str
) -> None:
    only_the_bad_row_fails(tmp_path, settings, bad_row(image=image), reason)


def test_invalid_attributes_json_fails_the_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [["a", "A", "{not json"], ["b", "B", "[1, 2]"], ["c", "C", '{"ok": true}']],
        header=["external_id", "title", "attributes"],
    )
    summary = catalog_import(path=path)
    assert [(f.row, f.external_id, f.reason[:32]) for f in summary.failures] == [
        (1, "a", "attributes is not valid JSON (Ex"),
        (2, "b", "attributes must be a JSON object"),
    ]
    assert list(Item.objects.values_list("external_id", "attributes")) == [("c", {"ok": True})]


def test_duplicate_external_id_in_one_file_fails_the_later_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [["a", "First", "", "", "1", ""], ["b", "Other", "", "", "", ""], ["a", "Second", "", "", "2", ""]],
    )  # fmt: skip
    summary = catalog_import(path=path)
    [failure] = summary.failures
    assert (failure.row, failure.line) == (3, 4)
    assert failure.reason == "duplicate external_id: already in row 1 (c.csv line 2)"
    assert Item.objects.get(external_id="a").title == "First"
    # Stable on re-runs: the first row keeps the item, the second keeps failing.
    again = catalog_import(path=path)
    assert (again.unchanged, again.failed) == (2, 1)


def test_invalid_utf8_fails_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b"external_id,title,description\na,Fine,ok\nb,Broken,caf\xe9 latin-1\nc,Also fine,\xc3\xa9\n"
    )
    summary = catalog_import(path=path)
    assert [(f.row, f.reason) for f in summary.failures] == [
        (2, "description is not valid UTF-8 text.")
    ]
    assert Item.objects.get(external_id="c").description == "é"


def test_bad_jsonl_lines_are_reported_with_their_line(tmp_path: Path) -> None:
    write_image(tmp_path, "a.png", RED)
    path = write_jsonl(
        tmp_path / "c.ndjson",
        [
            {"external_id": "a", "title": "A", "image": "a.png"},
            '{"external_id": "b", "title": ',
            "",
            "[1, 2]",
            {"external_id": "c", "title": "C", "attributes": "red"},
            {"external_id": "d", "title": "D", "images": "a.png"},
            {"external_id": "e", "title": "E", "price": True},
            {"external_id": "f", "title": "F", "price": "NaN"},
            {"external_id": "g", "title": "G", "image": "gone.png"},
            {"external_id": "h", "title": "H"},
        ],
    )
    summary = catalog_import(path=path)
    assert summary.format == "jsonl"
    assert [(f.row, f.line, f.external_id, f.reason[:30]) for f in summary.failures] == [
        (2, 2, "", "The line is not valid JSON (Ex"),
        (3, 4, "", "The line is not a JSON object."),
        (4, 5, "c", "attributes must be a JSON obje"),
        (5, 6, "d", "images must be a list of paths"),
        (6, 7, "e", "price must be a number, not bo"),
        (7, 8, "f", "price 'NaN' is not a finite nu"),
        (8, 9, "g", "Image file gone.png not found."),
    ]
    assert set(Item.objects.values_list("external_id", flat=True)) == {"a", "h"}


def test_a_bad_new_image_leaves_the_stored_item_as_it_was(catalog_csv: Path, settings: Any) -> None:
    catalog_import(path=catalog_csv)
    before = snapshot()
    catalog_csv.write_text(catalog_csv.read_text().replace("12.50", "99.00"))
    (catalog_csv.parent / "img" / "mug.png").write_bytes(truncated_png())
    summary = catalog_import(path=catalog_csv)
    assert [(f.external_id, f.reason[:27]) for f in summary.failures] == [
        ("mug-1", "Image img/mug.png: The imag")
    ]
    assert Item.objects.get(external_id="mug-1").price == Decimal("12.50")
    assert snapshot() == before
    assert len(stored_files(settings)) == 2
