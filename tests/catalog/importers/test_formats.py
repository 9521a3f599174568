"""The sample catalog formats (oscar-csv, boutique-json) and the real catalogs in ../shared."""

from __future__ import annotations

import csv
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.importers import ImportSummary, catalog_import, catalog_rows
from catalog.models import Item, ItemImage
from tests.catalog.importers.files import (
    BLUE,
    write_image,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- the sample catalog formats ---------------------------------------------------------------


def test_oscar_csv_adapter(tmp_path: Path) -> None:
    write_image(tmp_path, "images/9780000000001.jpg", BLUE)
    path = tmp_path / "books.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Book",
                "Books > Non-Fiction > Hacking",
                "9780000000001",
                "A Book",
                "<p>Some <b>HTML</b></p>",
                "Book partner",
                "9780000000001",
                "9.99",
                "14",
            ]
        )
        writer.writerow(
            [
                "Book",
                "Books > Fiction",
                "9780000000002",
                "No Cover",
                "",
                "Book partner",
                "9780000000002",
                "1.99",
                "0",
            ]
        )
        writer.writerow(["Book", "Books", "9780000000003", "Short row"])

    summary = catalog_import(path=path, format="oscar-csv")
    assert (summary.created, summary.failed) == (2, 1)
    assert summary.failures[0].reason.startswith("Expected 9 columns (product_class, ")
    book = Item.objects.get(external_id="9780000000001")
    assert (book.title, book.category, book.price, book.description) == (
        "A Book", "Hacking", Decimal("9.99"), "<p>Some <b>HTML</b></p>",
    )  # fmt: skip
    assert book.attributes == {
        "product_class": "Book", "partner": "Book partner", "sku": "9780000000001",
        "stock": 14, "category_path": "Books > Non-Fiction > Hacking",
    }  # fmt: skip
    assert book.images.count() == 1
    assert Item.objects.get(external_id="9780000000002").images.count() == 0


def test_boutique_json_adapter(tmp_path: Path) -> None:
    write_image(tmp_path, "images/mug.jpg", BLUE)
    path = tmp_path / "products.json"
    products = [
        {"id": "MUG", "name": "Mug", "description": "A mug.", "picture": "/static/img/products/mug.jpg",
         "priceUsd": {"currencyCode": "USD", "units": 8, "nanos": 995000000},
         "categories": ["kitchen", "home"]},
        {"id": "GONE", "name": "Gone", "picture": "/static/img/products/gone.jpg",
         "priceUsd": {"currencyCode": "USD", "units": "5", "nanos": 0}, "categories": []},
        {"id": "NEG", "name": "Negative", "priceUsd": {"units": -1, "nanos": 0}},
    ]  # fmt: skip
    path.write_text(json.dumps({"products": products}))
    summary = catalog_import(path=path, format="boutique-json")
    assert summary.created == 1
    assert [(f.row, f.line, f.external_id, f.reason) for f in summary.failures] == [
        (2, None, "GONE", "Image file /static/img/products/gone.jpg not found."),
        (3, None, "NEG", "price -1.00 is negative."),
    ]
    mug = Item.objects.get()
    assert (mug.title, mug.category, mug.price) == ("Mug", "kitchen", Decimal("9.00"))
    assert mug.attributes == {"categories": ["kitchen", "home"], "currency": "USD"}
    assert mug.images.get().content_type == "image/jpeg"


# --- the real catalogs in ../shared -----------------------------------------------------------

# Three books are listed in two oscar categories each (computers-in-fiction and hacking);
# the first file read (alphabetical order) owns them, the second listing is a duplicate.
OSCAR_DUPLICATES = {
    ("books.hacking.csv", 1, "9781416507789"),
    ("books.hacking.csv", 13, "9780765319852"),
    ("books.hacking.csv", 22, "9780553380958"),
}


def duplicates(summary: ImportSummary) -> set[tuple[str, int | None, str]]:
    assert all(
        f.reason.startswith("duplicate external_id: already in row ") for f in summary.failures
    )
    return {(f.file, f.line, f.external_id) for f in summary.failures}


@pytest.mark.shared
def test_shared_oscar_books_import_and_reimport(shared_dir: Path) -> None:
    books = shared_dir / "data" / "oscar_books"
    if not books.is_dir():
        pytest.skip(f"needs {books}")
    started = time.monotonic()
    summary = catalog_import(path=books, format="oscar-csv")
    first_seconds = time.monotonic() - started
    assert (summary.total, summary.created, summary.failed) == (201, 198, 3)
    assert duplicates(summary) == OSCAR_DUPLICATES
    assert Item.objects.count() == 198
    rows = list(catalog_rows(path=books, format="oscar-csv"))
    assert sum(1 for row in rows if row.data is not None and row.data.images) == 142
    # 142 rows have a cover; two of them are the second listing of a book, so 140 items do.
    with_cover = Item.objects.filter(images__isnull=False).distinct().count()
    assert with_cover == ItemImage.objects.count() == 140
    assert Item.objects.filter(category="Hacking").exists()

    started = time.monotonic()
    again = catalog_import(path=books, format="oscar-csv")
    second_seconds = time.monotonic() - started
    assert (again.unchanged, again.created, again.updated, again.failed) == (198, 0, 0, 3)
    assert first_seconds < 120 and second_seconds < 120


@pytest.mark.shared
def test_shared_online_boutique_import_and_reimport(shared_dir: Path) -> None:
    products = shared_dir / "data" / "online_boutique" / "products.json"
    if not products.is_file():
        pytest.skip(f"needs {products}")
    summary = catalog_import(path=products, format="boutique-json")
    assert (summary.total, summary.created, summary.failed) == (9, 9, 0)
    assert ItemImage.objects.count() == 9
    sunglasses = Item.objects.get(external_id="OLJCESPC7Z")
    assert (sunglasses.title, sunglasses.category, sunglasses.price) == (
        "Sunglasses", "accessories", Decimal("19.99"),
    )  # fmt: skip
    again = catalog_import(path=products, format="boutique-json")
    assert (again.unchanged, again.failed) == (9, 0)
