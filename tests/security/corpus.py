"""What the hostile-input tests share: the API paths, how a request is sent, what "nothing
half-stored" means and what a refusal must look like, and sample bytes that are not images."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Item, ItemImage
from embeddings.models import Embedding, ItemEmbeddingState
from tests.security.conftest import media_files, solid

ITEMS = "/api/v1/items/"
SEARCH = "/api/v1/search/"
MB = 1024 * 1024

PNG, JPEG, WEBP, GIF = (solid(fmt) for fmt in ("PNG", "JPEG", "WEBP", "GIF"))
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
ONE_MB_TEXT = "word " * (MB // 5 + 1)


def data_url(data: bytes, content_type: str = "image/png") -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def upload(data: bytes, name: str = "photo.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- what "nothing half-stored" means ------------------------------------------------------


def stored_state(media_root: Path) -> dict[str, Any]:
    """Everything a write could leave behind."""
    return {
        "items": list(
            Item.objects.order_by("pk").values_list(
                "pk", "external_id", "title", "description", "category", "price", "attributes",
                "is_active", "updated_at",
            )
        ),
        "images": list(ItemImage.objects.order_by("pk").values_list("pk", "item_id", "sha256")),
        "files": media_files(media_root),
        "queue": list(
            ItemEmbeddingState.objects.order_by("pk").values_list(
                "pk", "space_id", "item_id", "status", "input_sha256", "updated_at"
            )
        ),
        "embeddings": Embedding.objects.count(),
    }  # fmt: skip


# Words that only make sense inside the server: socket and codec errors, Pillow and its
# plugins, Django settings, Python exception classes and object addresses. A refusal says
# what the client can do instead.
INTERNALS = re.compile(
    r"errno|\bPIL\b|plugin|settings\.|codec|traceback|object at 0x|\b[A-Z]\w+(Error|Exception)\b",
    re.IGNORECASE,
)


def assert_no_internals(text: str) -> None:
    found = INTERNALS.search(text)
    assert found is None, f"{found.group()!r} in {text[:500]!r}"


def assert_refused(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert_no_internals(response.content.decode("utf-8", "replace"))
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    if field is not None:
        assert field in body["errors"], body
        assert field in body["detail"], body["detail"]
    return dict(body)
