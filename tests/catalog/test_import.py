from __future__ import annotations

import csv
import json
import time
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.importers import ImportSummary, catalog_import, catalog_rows
from catalog.management.commands.import_catalog import ProgressBar
from catalog.models import Item, ItemImage
from tests.conftest import make_image_bytes
from tests.http_servers import LocalServer, redirect, respond

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ["external_id", "title", "description", "category", "price", "image"]
RED = make_image_bytes("PNG", color=(200, 30, 30))
BLUE = make_image_bytes("JPEG", color=(20, 30, 200))
GREEN = make_image_bytes("PNG", color=(20, 200, 30))


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any] | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_image(folder: Path, name: str, data: bytes) -> str:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def write_queries(context: CaptureQueriesContext) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [
        q["sql"] for q in context.captured_queries if q["sql"].lstrip().upper().startswith(verbs)
    ]


def snapshot() -> dict[str, Any]:
    return {
        item.external_id: (item.updated_at, sorted(item.images.values_list("sha256", flat=True)))
        for item in Item.objects.all()
    }


@pytest.fixture
def catalog_csv(tmp_path: Path) -> Path:
    write_image(tmp_path, "img/mug.png", RED)
    write_image(tmp_path, "img/lamp.jpg", BLUE)
    return write_csv(
        tmp_path / "catalog.csv",
        [
            ["mug-1", " Red mug ", "A mug.", "Kitchen", "12.50", "img/mug.png"],
            ["lamp-1", "Desk lamp", "A lamp, \"bright\".\nTwo lines.", "Lighting", "40", "img/lamp.jpg"],
            ["note-1", "Notebook", "", "", "", ""],
        ],
    )  # fmt: skip


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


# --- bad rows ---------------------------------------------------------------------------------


def truncated_png() -> bytes:
    data = make_image_bytes("PNG", size=(200, 200), color=(1, 2, 3))
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "row,reason",
    [
        (["bad", "", "", "", "1", ""], "Missing title."),
        (["", "No id", "", "", "1", ""], "Missing external_id."),
        (["bad", "Bad price", "", "", "abc", ""], "price 'abc' is not a number."),
        (["bad", "Bad price", "", "", "NaN", ""], "price 'NaN' is not a finite number."),
        (["bad", "Bad price", "", "", "-1", ""], "price '-1' is negative."),
        (["bad", "Bad price", "", "", "1.999", ""], "price: Ensure that there are no more"),
        (["bad", "Long", "", "", "", "", "x" * 600], None),
        (["bad", "No file", "", "", "1", "img/missing.png"], "Image file img/missing.png not found."),
        (["bad", "Text", "", "", "1", "notes.txt"], "Image notes.txt: The file is not an image"),
        (["bad", "Cut", "", "", "1", "cut.png"], "Image cut.png: The image is truncated or corrupt"),
        (["bad", "Escape", "", "", "1", "../outside.png"], "lies outside the images folder"),
        (["bad", "Scheme", "", "", "1", "ftp://example.com/a.png"], "only http and https"),
        (["bad", "Nul", "a\x00b", "", "1", ""], "description contains a NUL character."),
    ],
    ids=[
        "no-title", "no-id", "price-abc", "price-nan", "price-negative", "price-decimals",
        "too-many-cells", "image-missing", "image-not-image", "image-truncated", "image-escape",
        "image-scheme", "nul",
    ],
)  # fmt: skip
def test_bad_csv_row_is_reported_and_good_rows_are_kept(
    tmp_path: Path, settings: Any, row: list[str], reason: str | None
) -> None:
    write_image(tmp_path, "good.png", RED)
    write_image(tmp_path, "notes.txt", b"just some text")
    write_image(tmp_path, "cut.png", truncated_png())
    write_image(tmp_path.parent, "outside.png", BLUE)
    path = write_csv(
        tmp_path / "c.csv",
        [["g1", "Good one", "", "", "1", "good.png"], row, ["g2", "Good two", "", "", "2", ""]],
    )
    summary = catalog_import(path=path)
    assert (summary.created, summary.failed) == (2, 1)
    [failure] = summary.failures
    assert (failure.row, failure.line, failure.file) == (2, 3, "c.csv")
    expected = reason or "The row has 7 cells but the header 6."
    assert expected in failure.reason
    assert set(Item.objects.values_list("external_id", flat=True)) == {"g1", "g2"}
    assert len(stored_files(settings)) == ItemImage.objects.count() == 1


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


# --- image URLs -------------------------------------------------------------------------------


def test_import_fetches_image_urls_and_skips_rows_whose_url_is_refused_or_fails(
    tmp_path: Path,
    settings: Any,
    image_server: LocalServer,
    loopback_server: LocalServer,
    dns: dict[str, list[str]],
) -> None:
    """Through the guarded fetcher (tests/searchapp/test_urlfetch.py has every rule): the
    allowed internal host is fetched; loopback, private and metadata addresses, names that
    resolve to them and redirects to them fail their row, and nothing of the row is stored."""
    dns["cdn.internal"] = ["127.0.0.2"]
    dns["evil.example"] = ["10.0.0.8"]
    image_server.routes["/ok.jpg"] = respond(BLUE, content_type="image/jpeg")
    image_server.routes["/hop.png"] = redirect(loopback_server.url("/red.png"))
    image_server.routes["/page.png"] = respond(b"<html>not an image</html>")
    loopback_server.routes["/red.png"] = respond(RED)
    rows = [
        ["a", "From the web", "", "", "1", image_server.url("/ok.jpg", host="cdn.internal")],
        ["b", "Gone", "", "", "1", image_server.url("/gone.jpg")],
        ["c", "Loopback", "", "", "1", loopback_server.url("/red.png")],
        ["d", "Decimal", "", "", "1", loopback_server.url("/red.png", host="2130706433")],
        ["e", "Resolves", "", "", "1", "http://evil.example/red.png"],
        ["f", "Redirect", "", "", "1", image_server.url("/hop.png")],
        ["g", "Metadata", "", "", "1", "http://169.254.169.254/latest/meta-data/"],
        ["h", "Scheme", "", "", "1", "file:///etc/passwd"],
        ["i", "Html", "", "", "1", image_server.url("/page.png")],
    ]
    summary = catalog_import(path=write_csv(tmp_path / "c.csv", rows))
    assert summary.created == 1
    fetch_failed = "Could not fetch the image:"
    assert [(f.external_id, f.reason) for f in summary.failures] == [
        ("b", f"Image {rows[1][5]}: {fetch_failed} HTTP 404 Not Found."),
        ("c", f"Image {rows[2][5]}: {fetch_failed} 127.0.0.1 is a loopback address; "
              "only public addresses are fetched."),
        ("d", f"Image {rows[3][5]}: {fetch_failed} 2130706433 is 127.0.0.1, which is a "
              "loopback address; only public addresses are fetched."),
        ("e", f"Image {rows[4][5]}: {fetch_failed} evil.example resolves to 10.0.0.8, a "
              "private address; only public addresses are fetched."),
        ("f", f"Image {rows[5][5]}: {fetch_failed} 127.0.0.1 is a loopback address; "
              "only public addresses are fetched."),
        ("g", f"Image {rows[6][5]}: {fetch_failed} 169.254.169.254 is a link-local address; "
              "only public addresses are fetched."),
        ("h", f"Image {rows[7][5]}: {fetch_failed} only http and https URLs are fetched."),
        ("i", f"Image {rows[8][5]}: {fetch_failed} the content is not a JPEG, PNG, WebP or "
              "GIF image."),
    ]  # fmt: skip
    assert list(Item.objects.values_list("external_id", flat=True)) == ["a"]
    assert Item.objects.get().images.get().content_type == "image/jpeg"
    assert len(stored_files(settings)) == 1
    assert loopback_server.seen == []


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


def test_command_prints_progress_and_summary(tmp_path: Path) -> None:
    rows = [[f"id-{n}", f"Item {n}", "", "", "1", ""] for n in range(20)]
    rows[4][4] = "abc"
    path = write_csv(tmp_path / "c.csv", rows)
    out, err = StringIO(), StringIO()
    call_command("import_catalog", str(path), stdout=out, stderr=err)
    output = out.getvalue()
    assert f"Imported {path} as csv: 20 rows in " in output
    for line in ("  created: 19", "  updated: 0", "  unchanged: 0", "  failed: 1"):
        assert line in output.splitlines()
    assert "  row 5 (c.csv line 6) [id-4]: price 'abc' is not a number." in output
    progress = err.getvalue().splitlines()
    assert progress[0] == "2/20 rows (10%)" and progress[-1] == "20/20 rows (100%)"
    assert len(progress) == 10


def test_command_dry_run_and_start_at(catalog_csv: Path) -> None:
    out = StringIO()
    call_command(
        "import_catalog", str(catalog_csv), "--dry-run", "--start-at", "1", stdout=out,
        stderr=StringIO(),
    )  # fmt: skip
    assert "Checked (dry run, nothing written)" in out.getvalue()
    assert "  skipped (--start-at): 1" in out.getvalue()
    assert Item.objects.count() == 0


@pytest.mark.parametrize(
    "args,message",
    [
        (["--format", "xml"], "invalid choice: 'xml'"),
        ([], "Cannot tell the format of catalog.txt"),
    ],
)
def test_command_refuses_an_unknown_format(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "catalog.txt"
    path.write_text("external_id,title\na,A\n")
    with pytest.raises(CommandError, match=message):
        call_command("import_catalog", str(path), *args, stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize(
    "content,format,message",
    [
        (None, "csv", "does not exist"),
        ("", "csv", "is empty; a CSV needs a header row"),
        ("id,name\n1,x\n", "csv", "the header row lacks external_id, title"),
        ("{broken", "boutique-json", "is not valid JSON"),
        ('{"items": []}', "boutique-json", "expected"),
    ],
)
def test_command_fails_when_the_file_cannot_be_read(
    tmp_path: Path, content: str | None, format: str, message: str
) -> None:
    path = tmp_path / "catalog.dat"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_catalog", str(path), "--format", format, stdout=StringIO())


class FakeTerminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_on_a_terminal() -> None:
    from django.core.management.base import OutputWrapper

    terminal = FakeTerminal()
    bar = ProgressBar(OutputWrapper(terminal))
    for done in range(1, 201):
        bar(done, 200)
    bar.finish()
    text = terminal.getvalue()
    assert text.startswith("\r[") and text.endswith("\r[" + "#" * 30 + "] 200/200 rows\n")
    assert text.count("\r") < 10  # throttled: a tight loop redraws only a few times


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
