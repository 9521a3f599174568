"""The oscar-csv format: django-oscar's sample books catalog (no header; covers named
<upc>.jpg in the images folder). A book without a cover file is imported without an image,
because a missing cover is normal there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from catalog.images import ImageSource
from catalog.importers.csv_file import csv_records
from catalog.importers.rows import RowData, RowError, guarded, price, required, text

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
_SAFE_FILE_STEM = re.compile(r"^[\w-][\w.-]*$")


def read_oscar_csv(file: Path, images_dir: Path) -> Iterator[tuple[int | None, RowData | RowError]]:
    for line, cells in csv_records(file):
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
            yield line, guarded(partial(_oscar_row, values, images_dir), values["upc"])


def _oscar_row(values: dict[str, str], images_dir: Path) -> RowData:
    upc = text(values["upc"], "upc").strip()
    required(upc, "external_id (UPC)")
    title = text(values["title"], "title").strip()
    required(title, "title")
    category_path = " > ".join(
        part.strip() for part in text(values["category_path"], "category_path").split(">")
    ).strip(" >")
    stock = text(values["stock"], "stock").strip()
    attributes = {
        "product_class": text(values["product_class"], "product_class").strip(),
        "partner": text(values["partner"], "partner").strip(),
        "sku": text(values["sku"], "sku").strip(),
        "stock": int(stock) if stock.isdigit() else stock,
        "category_path": category_path,
    }
    cover = images_dir / f"{upc}.jpg"
    has_cover = bool(_SAFE_FILE_STEM.match(upc)) and cover.is_file()
    images = (
        (ImageSource(reference=f"{images_dir.name}/{cover.name}", path=cover),) if has_cover else ()
    )
    return RowData(
        external_id=upc,
        title=title,
        description=text(values["description"], "description"),
        category=category_path.rsplit(">", 1)[-1].strip(),
        price=price(values["price"]),
        attributes=attributes,
        images=images,
    )
