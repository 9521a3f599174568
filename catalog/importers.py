"""Catalog import: read a catalog file, normalise its rows, write them through catalog.services.

Reading and writing are separate steps. A format adapter turns a file into `ParsedRow`s:
each either a normalised `RowData` or the reason the row could not be read. `catalog_import`
then writes row by row, each row in its own transaction, so one bad row never rolls back
the good ones, and a re-run after an interruption simply continues (rows already stored
come out "unchanged").

Decisions a catalog owner should know about:

- Idempotent on external_id. An existing item whose fields and images are unchanged is
  not written at all; changed fields go through `item_update`; an image whose bytes are
  new to the item is added with `item_image_add`. Images are only ever added, never
  removed: an image the file no longer lists stays on the item.
- A row fails as a whole when one of its images cannot be read, fetched or validated:
  nothing is stored for it (no item without its image, no stray file). The reason names
  the image. (The oscar books catalog is the exception by design: a book without a cover
  file is imported without an image, because a missing cover is normal there.)
- Within one import (one file, or all files of a directory), the first row with an
  external_id owns it; a later row with the same external_id fails as a duplicate.
  Treating it as an update would make re-runs flip the item between the two rows.
- Local image paths are resolved inside the images folder (the file's folder, or
  `images_dir`) and may not leave it. Image URLs are fetched by the guarded fetcher
  (searchapp.urlfetch): http or https to public addresses only, capped in size and time;
  a refused or failed URL fails its row.
- CSV: empty lines and rows whose cells are all empty are not rows; columns with an
  empty header are ignored; other unknown columns become string attributes (empty cells
  left out); the `attributes` JSON column wins over a column of the same name.
- Text must be valid UTF-8 without NUL characters (PostgreSQL stores neither); a row
  that breaks this fails with the column named.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TextIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DataError, IntegrityError, transaction

from catalog.images import ValidatedImage, image_from_bytes, image_from_url
from catalog.models import Item, storable_json_problem, storable_text_problem
from catalog.services import item_create, item_image_add, item_update

logger = logging.getLogger(__name__)

FORMATS = ("csv", "jsonl", "oscar-csv", "boutique-json")
_SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_DIRECTORY_SUFFIXES = {"csv": (".csv",), "oscar-csv": (".csv",), "jsonl": (".jsonl", ".ndjson")}
# Written fields, compared with the stored item to decide between "updated" and "unchanged".
ROW_FIELDS = ("title", "description", "category", "price", "attributes")

OSCAR_COLUMNS = (
    "product_class",
    "category_path",
    "upc",
    "title",
    "description",
    "partner",
    "sku",
    "price",
    "stock",
)
# Row keys of the csv and jsonl formats; any other key becomes an attribute.
_KNOWN_KEYS = ("external_id", "title", "description", "category", "price", "image", "images")
_SAFE_FILE_STEM = re.compile(r"^[\w-][\w.-]*$")
# Python's csv module refuses fields over 128 KB by default and then resumes reading in the
# middle of the field, where a quoted multi-line text would read as made-up rows. Any field
# a file holds is read whole instead; the model's limits (description length) judge it.
CSV_FIELD_LIMIT = 256 * 1024 * 1024


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, unreadable, unknown format, wrong shape)."""


class RowError(Exception):
    """One row cannot be imported; the message is the reason reported for it."""

    def __init__(self, reason: str, *, external_id: str = "") -> None:
        super().__init__(reason)
        self.external_id = external_id


@dataclass(frozen=True)
class ImageSource:
    reference: str  # as written in the file, for messages
    path: Path | None = None
    url: str | None = None


@dataclass(frozen=True)
class RowData:
    """One row, normalised: the same shape whatever the format."""

    external_id: str
    title: str
    description: str = ""
    category: str = ""
    price: Decimal | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    images: tuple[ImageSource, ...] = ()

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ROW_FIELDS}


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
_Adapter = Callable[[Path, Path], Iterator[tuple[int | None, RowData | RowError]]]


# --- the service ------------------------------------------------------------------------------


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
    in the summary and skipped.
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
    adapter = _ADAPTERS.get(format)
    if adapter is None:
        raise ImportFileError(f"Unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
    number = 0
    for file in _files(path, format):
        for line, result in adapter(file, images_dir or _default_images_dir(file, format)):
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


# --- writing one row --------------------------------------------------------------------------


def _import_row(data: RowData, *, dry_run: bool) -> tuple[Outcome, int]:
    """Write one row; returns ("created" | "updated" | "unchanged", images added)."""
    _check_fields(data)
    images = _unique_images([load_image(source) for source in data.images])
    item = Item.objects.filter(external_id=data.external_id).first()
    try:
        if item is None:
            _check_image_room(existing=0, adding=len(images))
            if dry_run:
                return "created", 0
            try:
                item_create(external_id=data.external_id, images=images, **data.fields())
                return "created", 0
            except ValidationError:
                # An import running at the same time created it since we looked: update it.
                item = Item.objects.filter(external_id=data.external_id).first()
                if item is None:
                    raise
        changes = {
            name: value for name, value in data.fields().items() if getattr(item, name) != value
        }
        known = set(item.images.values_list("sha256", flat=True))
        new_images = [image for image in images if image.sha256 not in known]
        if not changes and not new_images:
            return "unchanged", 0
        _check_image_room(existing=len(known), adding=len(new_images))
        if not dry_run:
            _update(item=item, changes=changes, new_images=new_images)
        return "updated", len(new_images)
    except ValidationError as exc:
        raise RowError(_validation_message(exc)) from exc
    except (IntegrityError, DataError) as exc:
        raise RowError(f"The database refused the row ({str(exc).splitlines()[0]}).") from exc
    except OSError as exc:
        raise RowError(f"Could not store an image ({exc}).") from exc


def _update(*, item: Item, changes: dict[str, Any], new_images: list[ValidatedImage]) -> None:
    """Field changes and new images together, all or nothing (files included)."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            if changes:
                item_update(item=item, **changes)
            for image in new_images:
                item_image, created = item_image_add(item=item, image=image)
                if created:
                    stored.append(str(item_image.image.name))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _check_fields(data: RowData) -> None:
    """What item_create would refuse, found before anything is read or written (and in a dry run)."""
    item = Item(external_id=data.external_id, **data.fields())
    try:
        item.full_clean(
            exclude=["search_vector"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise RowError(_validation_message(exc)) from exc


def _check_image_room(*, existing: int, adding: int) -> None:
    limit = settings.SEARCHAPP_MAX_IMAGES_PER_ITEM
    if existing + adding > limit:
        raise RowError(
            f"An item may have at most {limit} images; this row would make it {existing + adding}."
        )


def _unique_images(images: list[ValidatedImage]) -> list[ValidatedImage]:
    by_sha: dict[str, ValidatedImage] = {}
    for image in images:
        by_sha.setdefault(image.sha256, image)
    return list(by_sha.values())


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for name, messages in exc.message_dict.items():
            text = " ".join(messages)
            parts.append(text if name == "__all__" else f"{name}: {text}")
        return "; ".join(parts)
    return " ".join(exc.messages)


# --- images -----------------------------------------------------------------------------------


def load_image(source: ImageSource) -> ValidatedImage:
    """Read (a file) or fetch (a URL) one image and validate it; RowError says what is wrong."""
    try:
        if source.url is not None:
            return image_from_url(source.url)
        if source.path is None or not source.path.is_file():
            raise RowError(f"Image file {source.reference} not found.")
        try:
            with source.path.open("rb") as file:
                data = file.read(settings.SEARCHAPP_MAX_IMAGE_BYTES + 1)
        except OSError as exc:
            raise RowError(f"Image file {source.reference} cannot be read ({exc}).") from exc
        return image_from_bytes(data)
    except ValidationError as exc:
        raise RowError(f"Image {source.reference}: {' '.join(exc.messages)}") from exc


# --- reading formats --------------------------------------------------------------------------


def _open_text(file: Path) -> TextIO:
    # surrogateescape: an invalid byte fails its row (see _text), not the whole file.
    try:
        return file.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise ImportFileError(f"Cannot read {file}: {exc}") from exc


def _csv_records(file: Path) -> Iterator[tuple[int, list[str] | RowError]]:
    """(first line, cells) for each non-blank CSV record, or a RowError for a malformed one."""
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with _open_text(file) as handle:
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


def _read_csv(file: Path, images_dir: Path) -> Iterator[tuple[int | None, RowData | RowError]]:
    records = _csv_records(file)
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
            yield line, _guarded(partial(_csv_row, values, images_dir), values.get("external_id"))


def _csv_row(values: dict[str, str], images_dir: Path) -> RowData:
    extra = {
        name: _text(value, name)
        for name, value in values.items()
        if name not in {*_KNOWN_KEYS, "attributes"} and value.strip()
    }
    attributes_text = _text(values.get("attributes", ""), "attributes").strip()
    if attributes_text:
        try:
            attributes = json.loads(attributes_text)
        except json.JSONDecodeError as exc:
            raise RowError(f"attributes is not valid JSON ({exc}).") from exc
        if not isinstance(attributes, dict):
            raise RowError("attributes must be a JSON object.")
        extra.update(attributes)
    image = _text(values.get("image", ""), "image").strip()
    return _row_data(
        values, attributes=extra, images=[image] if image else [], images_dir=images_dir
    )


def _read_jsonl(file: Path, images_dir: Path) -> Iterator[tuple[int | None, RowData | RowError]]:
    with _open_text(file) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, _guarded(partial(_jsonl_row, line, images_dir))
        except OSError as exc:
            raise ImportFileError(f"Cannot read {file}: {exc}") from exc


def _jsonl_row(line: str, images_dir: Path) -> RowData:
    try:
        values = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RowError(f"The line is not valid JSON ({exc}).") from exc
    if not isinstance(values, dict):
        raise RowError("The line is not a JSON object.")
    external_id = values.get("external_id")
    try:
        attributes = values.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise RowError("attributes must be a JSON object.")
        extra = {
            name: value
            for name, value in values.items()
            if name not in {*_KNOWN_KEYS, "attributes"}
        }
        images = values.get("images") or []
        if not isinstance(images, list):
            raise RowError("images must be a list of paths or URLs.")
        image = values.get("image")
        references = ([image] if image else []) + images
        if not all(isinstance(reference, str) for reference in references):
            raise RowError("Each image must be a path or a URL (a string).")
        return _row_data(
            values, attributes={**extra, **attributes}, images=references, images_dir=images_dir
        )
    except RowError as exc:
        exc.external_id = _loose_id(external_id)
        raise


def _read_oscar_csv(
    file: Path, images_dir: Path
) -> Iterator[tuple[int | None, RowData | RowError]]:
    for line, cells in _csv_records(file):
        if isinstance(cells, RowError):
            yield line, cells
        elif len(cells) != len(OSCAR_COLUMNS):
            yield (
                line,
                RowError(
                    f"Expected {len(OSCAR_COLUMNS)} columns ({', '.join(OSCAR_COLUMNS)}), "
                    f"found {len(cells)}."
                ),
            )
        else:
            values = dict(zip(OSCAR_COLUMNS, cells, strict=True))
            yield line, _guarded(partial(_oscar_row, values, images_dir), values["upc"])


def _oscar_row(values: dict[str, str], images_dir: Path) -> RowData:
    upc = _text(values["upc"], "upc").strip()
    _required(upc, "external_id (UPC)")
    title = _text(values["title"], "title").strip()
    _required(title, "title")
    category_path = " > ".join(
        part.strip() for part in _text(values["category_path"], "category_path").split(">")
    ).strip(" >")
    stock = _text(values["stock"], "stock").strip()
    attributes = {
        "product_class": _text(values["product_class"], "product_class").strip(),
        "partner": _text(values["partner"], "partner").strip(),
        "sku": _text(values["sku"], "sku").strip(),
        "stock": int(stock) if stock.isdigit() else stock,
        "category_path": category_path,
    }
    # A book without a cover file is normal in this catalog: no image, not an error.
    cover = images_dir / f"{upc}.jpg"
    has_cover = bool(_SAFE_FILE_STEM.match(upc)) and cover.is_file()
    images = (
        (ImageSource(reference=f"{images_dir.name}/{cover.name}", path=cover),) if has_cover else ()
    )
    return RowData(
        external_id=upc,
        title=title,
        description=_text(values["description"], "description"),
        category=category_path.rsplit(">", 1)[-1].strip(),
        price=_price(values["price"]),
        attributes=attributes,
        images=images,
    )


def _read_boutique_json(
    file: Path, images_dir: Path
) -> Iterator[tuple[int | None, RowData | RowError]]:
    try:
        with _open_text(file) as handle:
            document = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{file.name} is not valid JSON ({exc}).") from exc
    except OSError as exc:
        raise ImportFileError(f"Cannot read {file}: {exc}") from exc
    products = document.get("products") if isinstance(document, dict) else document
    if not isinstance(products, list):
        raise ImportFileError(f'{file.name}: expected {{"products": [...]}} or a list of products.')
    for product in products:
        if not isinstance(product, dict):
            yield None, RowError("The product is not a JSON object.")
        else:
            yield None, _guarded(partial(_boutique_row, product, images_dir), product.get("id"))


def _boutique_row(product: dict[str, Any], images_dir: Path) -> RowData:
    categories = product.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise RowError("categories must be a list of names.")
    categories = [_text(name, "categories").strip() for name in categories]
    attributes: dict[str, Any] = {"categories": categories}
    price_usd = product.get("priceUsd")
    price = None
    if price_usd is not None:
        if not isinstance(price_usd, dict):
            raise RowError("priceUsd must be an object {currencyCode, units, nanos}.")
        price = _money(price_usd.get("units", 0), price_usd.get("nanos", 0))
        if price_usd.get("currencyCode"):
            attributes["currency"] = _text(price_usd["currencyCode"], "currencyCode")
    picture = product.get("picture") or ""
    if not isinstance(picture, str):
        raise RowError("picture must be a path or a URL.")
    images: tuple[ImageSource, ...] = ()
    if picture.strip():
        if _is_url(picture):
            images = (_image_source(picture, images_dir),)
        else:
            # "/static/img/products/mug.jpg" on the shop's web server -> images/mug.jpg here.
            name = PurePosixPath(picture.strip()).name
            images = (ImageSource(reference=picture, path=images_dir / name),)
    external_id = _loose_id(product.get("id"))
    _required(external_id, "id")
    title = _text(product.get("name"), "name").strip()
    _required(title, "name")
    return RowData(
        external_id=external_id,
        title=title,
        description=_text(product.get("description"), "description"),
        category=categories[0] if categories else "",
        price=price,
        attributes=attributes,
        images=images,
    )


_ADAPTERS: dict[str, _Adapter] = {
    "csv": _read_csv,
    "jsonl": _read_jsonl,
    "oscar-csv": _read_oscar_csv,
    "boutique-json": _read_boutique_json,
}


# --- normalising values -----------------------------------------------------------------------


def _guarded(build: Callable[[], RowData], external_id: Any = None) -> RowData | RowError:
    """Run a row builder; a RowError becomes the row's result, tagged with its external_id."""
    try:
        return build()
    except RowError as exc:
        exc.external_id = exc.external_id or _loose_id(external_id)
        return exc


def _row_data(
    values: Mapping[str, Any],
    *,
    attributes: dict[str, Any],
    images: Iterable[str],
    images_dir: Path,
) -> RowData:
    external_id = _id(values.get("external_id"))
    _required(external_id, "external_id")
    title = _text(values.get("title"), "title").strip()
    _required(title, "title")
    _check_json_text(attributes)
    return RowData(
        external_id=external_id,
        title=title,
        description=_text(values.get("description"), "description"),
        category=_text(values.get("category"), "category").strip(),
        price=_price(values.get("price")),
        attributes=attributes,
        images=tuple(_image_source(reference, images_dir) for reference in images),
    )


def _required(value: str, name: str) -> None:
    if not value.strip():
        raise RowError(f"Missing {name}.")


def _id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, "external_id").strip()


def _loose_id(value: Any) -> str:
    """An external_id for messages and duplicate checks, never raising."""
    try:
        return _id(value)
    except RowError:
        return ""


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"{name} must be text, not {type(value).__name__}.")
    _check_string(value, name)
    return value


def _check_string(value: str, name: str) -> None:
    problem = storable_text_problem(value, name)
    if problem:
        raise RowError(problem)


def _check_json_text(value: Any, name: str = "attributes") -> None:
    problem = storable_json_problem(value, name)
    if problem:
        raise RowError(problem)


def _price(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(f"price must be a number, not {type(value).__name__}.")
    text = value.strip() if isinstance(value, str) else str(value)
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise RowError(f"price {text[:40]!r} is not a number.") from None
    if not price.is_finite():
        raise RowError(f"price {text!r} is not a finite number.")
    if price < 0:
        raise RowError(f"price {text!r} is negative.")
    return price


def _money(units: Any, nanos: Any) -> Decimal:
    """A google.type.Money amount (int64 units may arrive as a string in JSON) -> 2 decimals."""
    parts = []
    for name, value in (("units", units), ("nanos", nanos)):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise RowError(f"priceUsd.{name} must be an integer.")
        try:
            parts.append(int(value))
        except ValueError:
            raise RowError(f"priceUsd.{name} {value!r} is not an integer.") from None
    amount = (Decimal(parts[0]) + Decimal(parts[1]) / Decimal(10**9)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    if amount < 0:
        raise RowError(f"price {amount} is negative.")
    return amount


def _is_url(reference: str) -> bool:
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", reference.strip()) is not None


def _image_source(reference: str, images_dir: Path) -> ImageSource:
    reference = reference.strip()
    _check_string(reference, "image")
    if _is_url(reference):
        return ImageSource(reference=reference, url=reference)  # refused or fetched at import
    base = images_dir.resolve()
    path = (base / reference).resolve()
    if not path.is_relative_to(base):
        raise RowError(f"Image {reference} lies outside the images folder {images_dir}.")
    return ImageSource(reference=reference, path=path)
