"""What every format reader yields, and the normalising of values they share."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ValidationError

from catalog.images import ImageSource, image_source
from catalog.models import storable_json_problem, storable_text_problem

# Written fields, compared with the stored item to decide between "updated" and "unchanged".
ROW_FIELDS = ("title", "description", "category", "price", "attributes")
# Row keys of the csv and jsonl formats; any other key becomes an attribute.
KNOWN_KEYS = ("external_id", "title", "description", "category", "price", "image", "images")


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, unreadable, unknown format, wrong shape)."""


class RowError(Exception):
    """One row cannot be imported; the message is the reason reported for it."""

    def __init__(self, reason: str, *, external_id: str = "") -> None:
        super().__init__(reason)
        self.external_id = external_id


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


# A format reader: (file, images folder) -> (the row's first line, where the format has
# lines; the row or why it cannot be read) for each row.
RowReader = Callable[[Path, Path], Iterator[tuple[int | None, RowData | RowError]]]


def open_text(file: Path) -> TextIO:
    # surrogateescape: an invalid byte fails its row (see text), not the whole file.
    try:
        return file.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise ImportFileError(f"Cannot read {file}: {exc}") from exc


def guarded(build: Callable[[], RowData], external_id: Any = None) -> RowData | RowError:
    """Run a row builder; a RowError becomes the row's result, tagged with its external_id."""
    try:
        return build()
    except RowError as exc:
        exc.external_id = exc.external_id or loose_id(external_id)
        return exc


def json_object(value: str, *, invalid: str, not_an_object: str) -> dict[str, Any]:
    """`value` parsed as a JSON object; RowError("<invalid> (why).") or RowError(not_an_object)."""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise RowError(f"{invalid} ({exc}).") from exc
    if not isinstance(parsed, dict):
        raise RowError(not_an_object)
    return parsed


def row_data(
    values: Mapping[str, Any],
    *,
    attributes: dict[str, Any],
    images: Iterable[str],
    images_dir: Path,
) -> RowData:
    """A row of the csv and jsonl formats, whose keys are the item's own field names."""
    external_id = _id(values.get("external_id"))
    required(external_id, "external_id")
    title = text(values.get("title"), "title").strip()
    required(title, "title")
    problem = storable_json_problem(attributes, "attributes")
    if problem:
        raise RowError(problem)
    return RowData(
        external_id=external_id,
        title=title,
        description=text(values.get("description"), "description"),
        category=text(values.get("category"), "category").strip(),
        price=price(values.get("price")),
        attributes=attributes,
        images=tuple(image_reference(reference, images_dir) for reference in images),
    )


def image_reference(reference: str, images_dir: Path) -> ImageSource:
    try:
        return image_source(reference, images_dir)
    except ValidationError as exc:
        raise RowError(" ".join(exc.messages)) from exc


def required(value: str, name: str) -> None:
    if not value.strip():
        raise RowError(f"Missing {name}.")


def _id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value, "external_id").strip()


def loose_id(value: Any) -> str:
    """An external_id for messages and duplicate checks, never raising."""
    try:
        return _id(value)
    except RowError:
        return ""


def text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"{name} must be text, not {type(value).__name__}.")
    problem = storable_text_problem(value, name)
    if problem:
        raise RowError(problem)
    return value


def price(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(f"price must be a number, not {type(value).__name__}.")
    written = value.strip() if isinstance(value, str) else str(value)
    try:
        amount = Decimal(written)
    except InvalidOperation:
        raise RowError(f"price {written[:40]!r} is not a number.") from None
    if not amount.is_finite():
        raise RowError(f"price {written!r} is not a finite number.")
    if amount < 0:
        raise RowError(f"price {written!r} is negative.")
    return amount
