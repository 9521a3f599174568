"""The import_catalog command: its summary, progress lines and refusals."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Item
from tests.catalog.importers.files import (
    write_csv,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
