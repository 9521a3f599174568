"""The csv format: a header row naming the item's fields; other columns become attributes.

Empty lines and rows whose cells are all empty are not rows; columns with an empty header
are ignored; other unknown columns become string attributes (empty cells left out); the
`attributes` JSON column wins over a column of the same name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from catalog.importers.rows import (
    KNOWN_KEYS,
    ImportFileError,
    RowData,
    RowError,
    guarded,
    json_object,
    open_text,
    row_data,
    text,
)

# Python's csv module refuses fields over 128 KB by default and then resumes reading in the
# middle of the field, where a quoted multi-line text would read as made-up rows. Any field
# a file holds is read whole instead; the model's limits (description length) judge it.
CSV_FIELD_LIMIT = 256 * 1024 * 1024


def csv_records(file: Path) -> Iterator[tuple[int, list[str] | RowError]]:
    """(first line, cells) for each non-blank CSV record, or a RowError for a malformed one."""
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with open_text(file) as handle:
        reader = csv.reader(handle)
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, RowError(f"Malformed CSV ({exc}).")
                continue
            except OSError as exc:
                raise ImportFileError(f"Cannot read {file}: {exc}") from exc
            if any(cell.strip() for cell in cells):
                yield line, cells


def read_csv(file: Path, images_dir: Path) -> Iterator[tuple[int | None, RowData | RowError]]:
    records = csv_records(file)
    try:
        _, header = next(records)
    except StopIteration:
        raise ImportFileError(f"{file.name} is empty; a CSV needs a header row.") from None
    if isinstance(header, RowError):
        raise ImportFileError(f"{file.name}: the header row cannot be read ({header}).")
    names = [name.strip().lower() for name in header]
    missing = [name for name in ("external_id", "title") if name not in names]
    if missing:
        raise ImportFileError(f"{file.name}: the header row lacks {', '.join(missing)}.")
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise ImportFileError(f"{file.name}: the header repeats {', '.join(repeated)}.")
    for line, cells in records:
        if isinstance(cells, RowError):
            yield line, cells
        elif len(cells) > len(names):
            yield line, RowError(f"The row has {len(cells)} cells but the header {len(names)}.")
        else:
            values = {name: cell for name, cell in zip(names, cells, strict=False) if name}
            yield line, guarded(partial(_csv_row, values, images_dir), values.get("external_id"))


def _csv_row(values: dict[str, str], images_dir: Path) -> RowData:
    extra = {
        name: text(value, name)
        for name, value in values.items()
        if name not in {*KNOWN_KEYS, "attributes"} and value.strip()
    }
    attributes_text = text(values.get("attributes", ""), "attributes").strip()
    if attributes_text:
        extra.update(
            json_object(
                attributes_text,
                invalid="attributes is not valid JSON",
                not_an_object="attributes must be a JSON object.",
            )
        )
    image = text(values.get("image", ""), "image").strip()
    return row_data(
        values, attributes=extra, images=[image] if image else [], images_dir=images_dir
    )
