"""The boutique-json format: the Online Boutique demo's products.json ({"products": [...]}
or a bare list), prices as google.type.Money, pictures as web paths or URLs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from catalog.images import ImageSource, is_url
from catalog.importers.rows import (
    ImportFileError,
    RowData,
    RowError,
    guarded,
    image_reference,
    loose_id,
    open_text,
    required,
    text,
)


def read_boutique_json(
    file: Path, images_dir: Path
) -> Iterator[tuple[int | None, RowData | RowError]]:
    try:
        with open_text(file) as handle:
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
            yield None, guarded(partial(_boutique_row, product, images_dir), product.get("id"))


def _boutique_row(product: dict[str, Any], images_dir: Path) -> RowData:
    categories = product.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise RowError("categories must be a list of names.")
    categories = [text(name, "categories").strip() for name in categories]
    attributes: dict[str, Any] = {"categories": categories}
    price_usd = product.get("priceUsd")
    amount = None
    if price_usd is not None:
        if not isinstance(price_usd, dict):
            raise RowError("priceUsd must be an object {currencyCode, units, nanos}.")
        amount = _money(price_usd.get("units", 0), price_usd.get("nanos", 0))
        if price_usd.get("currencyCode"):
            attributes["currency"] = text(price_usd["currencyCode"], "currencyCode")
    picture = product.get("picture") or ""
    if not isinstance(picture, str):
        raise RowError("picture must be a path or a URL.")
    images: tuple[ImageSource, ...] = ()
    if picture.strip():
        if is_url(picture):
            images = (image_reference(picture, images_dir),)
        else:
            # "/static/img/products/mug.jpg" on the shop's web server -> images/mug.jpg here.
            name = PurePosixPath(picture.strip()).name
            images = (ImageSource(reference=picture, path=images_dir / name),)
    external_id = loose_id(product.get("id"))
    required(external_id, "id")
    title = text(product.get("name"), "name").strip()
    required(title, "name")
    return RowData(
        external_id=external_id,
        title=title,
        description=text(product.get("description"), "description"),
        category=categories[0] if categories else "",
        price=amount,
        attributes=attributes,
        images=images,
    )


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
