"""The jsonl format: one JSON object per line, keyed like the csv format's columns; `image`
and `images` (a list) name the pictures, other keys become attributes."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from catalog.importers import rows
from catalog.importers.rows import RowData, RowError


def read_jsonl(file: Path, images_dir: Path) -> Iterator[tuple[int | None, RowData | RowError]]:
    with rows.open_text(file) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, rows.guarded(partial(_jsonl_row, line, images_dir))
        except OSError as exc:
            raise rows.ImportFileError(f"Cannot read {file}: {exc}") from exc


def _jsonl_row(line: str, images_dir: Path) -> RowData:
    values = rows.json_object(
        line, invalid="The line is not valid JSON", not_an_object="The line is not a JSON object."
    )
    external_id = values.get("external_id")
    try:
        attributes = values.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise RowError("attributes must be a JSON object.")
        extra = {
            name: value
            for name, value in values.items()
            if name not in {*rows.KNOWN_KEYS, "attributes"}
        }
        images = values.get("images") or []
        if not isinstance(images, list):
            raise RowError("images must be a list of paths or URLs.")
        image = values.get("image")
        references = ([image] if image else []) + images
        if not all(isinstance(reference, str) for reference in references):
            raise RowError("Each image must be a path or a URL (a string).")
        return rows.row_data(
            values, attributes={**extra, **attributes}, images=references, images_dir=images_dir
        )
    except RowError as exc:
        exc.external_id = rows.loose_id(external_id)
        raise
