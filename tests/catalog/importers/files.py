"""Catalog files and images written for import tests, and what an import left behind."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from django.test.utils import CaptureQueriesContext

from catalog.models import Item
from tests.conftest import make_image_bytes

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


def truncated_png() -> bytes:
    data = make_image_bytes("PNG", size=(200, 200), color=(1, 2, 3))
    return data[: len(data) // 2]
