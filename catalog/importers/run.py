"""The import loop: read every row of a catalog, write each through catalog.services.item_upsert."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError

from catalog.images import image_from_source
from catalog.importers.boutique_json import read_boutique_json
from catalog.importers.csv_file import read_csv
from catalog.importers.jsonl_file import read_jsonl
from catalog.importers.oscar_csv import read_oscar_csv
from catalog.importers.rows import ImportFileError, RowData, RowError, RowReader
from catalog.models import Item
from catalog.services import item_check, item_upsert

logger = logging.getLogger(__name__)

READERS: dict[str, RowReader] = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "oscar-csv": read_oscar_csv,
    "boutique-json": read_boutique_json,
}
FORMATS = tuple(READERS)
_SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_DIRECTORY_SUFFIXES = {"csv": (".csv",), "oscar-csv": (".csv",), "jsonl": (".jsonl", ".ndjson")}


@dataclass(frozen=True)
class RowSource:
    number: int  # 1-based data row within the whole import
    file: Path
    line: int | None  # the row's first line in the file, where the format has lines

    def describe(self) -> str:
        where = self.file.name if self.line is None else f"{self.file.name} line {self.line}"
        return f"row {self.number} ({where})"


@dataclass(frozen=True)
class ParsedRow:
    source: RowSource
    data: RowData | None
    error: str = ""
    external_id: str = ""  # as far as it could be read, for duplicates and messages


@dataclass(frozen=True)
class RowFailure:
    row: int
    file: str
    line: int | None
    external_id: str
    reason: str

    def describe(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        label = f" [{self.external_id}]" if self.external_id else ""
        return f"row {self.row} ({where}){label}: {self.reason}"


@dataclass
class ImportSummary:
    path: Path
    format: str
    dry_run: bool = False
    total: int = 0
    skipped: int = 0  # rows before start_at
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    images_added: int = 0  # on existing items
    failures: list[RowFailure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


Progress = Callable[[int, int], None]
Outcome = Literal["created", "updated", "unchanged"]


def catalog_import(
    *,
    path: Path,
    format: str | None = None,
    images_dir: Path | None = None,
    start_at: int = 0,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import every row of a catalog file (or of a directory of them), committing per row.

    Raises ImportFileError when the file cannot be imported at all; bad rows are reported
    in the summary and skipped. `progress(done, total)` is called after each row.
    """
    if start_at < 0:
        raise ValueError("start_at may not be negative.")
    format_name = catalog_format(path=path, format=format)
    rows = list(catalog_rows(path=path, format=format_name, images_dir=images_dir))
    summary = ImportSummary(path=path, format=format_name, dry_run=dry_run, total=len(rows))
    owners: dict[str, RowSource] = {}
    for parsed in rows:
        first = owners.setdefault(parsed.external_id, parsed.source) if parsed.external_id else None
        if parsed.source.number <= start_at:
            summary.skipped += 1
        elif parsed.data is None:
            _fail(summary, parsed, parsed.error)
        elif first is not None and first != parsed.source:
            _fail(summary, parsed, f"duplicate external_id: already in {first.describe()}")
        else:
            try:
                outcome, images_added = _import_row(parsed.data, dry_run=dry_run)
            except RowError as exc:
                _fail(summary, parsed, str(exc))
            else:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
                summary.images_added += images_added
        if progress is not None:
            progress(parsed.source.number, summary.total)
    return summary


def catalog_format(*, path: Path, format: str | None) -> str:
    """The format to read `path` with: the one asked for, else the file's extension."""
    if format is not None:
        if format not in FORMATS:
            raise ImportFileError(f"Unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
        return format
    if path.is_dir():
        raise ImportFileError(f"{path} is a directory; say which format to read with --format.")
    detected = _SUFFIX_FORMATS.get(path.suffix.lower())
    if detected is None:
        raise ImportFileError(
            f"Cannot tell the format of {path.name} from its extension; "
            f"pass --format ({', '.join(FORMATS)})."
        )
    return detected


def catalog_rows(*, path: Path, format: str, images_dir: Path | None = None) -> Iterator[ParsedRow]:
    """Read and normalise every row of `path` (a file, or a directory of files of `format`)."""
    reader = READERS.get(format)
    if reader is None:
        raise ImportFileError(f"Unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
    number = 0
    for file in _files(path, format):
        for line, result in reader(file, images_dir or _default_images_dir(file, format)):
            number += 1
            source = RowSource(number=number, file=file, line=line)
            if isinstance(result, RowError):
                yield ParsedRow(
                    source=source, data=None, error=str(result), external_id=result.external_id
                )
            else:
                yield ParsedRow(source=source, data=result, external_id=result.external_id)


def _fail(summary: ImportSummary, parsed: ParsedRow, reason: str) -> None:
    failure = RowFailure(
        row=parsed.source.number,
        file=parsed.source.file.name,
        line=parsed.source.line,
        external_id=parsed.external_id,
        reason=reason,
    )
    logger.info("import %s: %s", summary.path, failure.describe())
    summary.failures.append(failure)


def _files(path: Path, format: str) -> list[Path]:
    if path.is_dir():
        suffixes = _DIRECTORY_SUFFIXES.get(format)
        if suffixes is None:
            raise ImportFileError(f"The {format} format reads a single file, not a directory.")
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
        if not files:
            raise ImportFileError(f"{path} holds no {' or '.join(suffixes)} files.")
        return files
    if not path.is_file():
        raise ImportFileError(f"{path} does not exist or is not a file.")
    return [path]


def _default_images_dir(file: Path, format: str) -> Path:
    return file.parent / "images" if format in {"oscar-csv", "boutique-json"} else file.parent


def _import_row(data: RowData, *, dry_run: bool) -> tuple[Outcome, int]:
    """Write one row; returns ("created" | "updated" | "unchanged", images added)."""
    try:
        # The fields first: a row they fail costs no image read or fetch.
        item_check(item=Item(external_id=data.external_id, **data.fields()))
        images = [image_from_source(source) for source in data.images]
        result = item_upsert(
            external_id=data.external_id, fields=data.fields(), images=images, dry_run=dry_run
        )
    except ValidationError as exc:
        raise RowError(_validation_message(exc)) from exc
    except (IntegrityError, DataError) as exc:
        raise RowError(f"The database refused the row ({str(exc).splitlines()[0]}).") from exc
    except OSError as exc:
        raise RowError(f"Could not store an image ({exc}).") from exc
    return result.outcome, result.images_added


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for name, messages in exc.message_dict.items():
            text = " ".join(messages)
            parts.append(text if name == "__all__" else f"{name}: {text}")
        return "; ".join(parts)
    return " ".join(exc.messages)
