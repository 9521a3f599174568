"""Fixtures for the quality tests: a text space and an image+text space whose vectors the
test chooses (GeometryProvider), embedded without a worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from catalog.models import Item
from embeddings import queue, spaces
from embeddings.inputs import item_text
from embeddings.models import EmbeddingSpace
from tests.embeddings.factories import make_item
from tests.embeddings.fakes import GeometryProvider

PROVIDERS = {
    "geometry-text": {
        "BACKEND": "tests.embeddings.fakes.GeometryProvider",
        "OPTIONS": {"dimensions": 7, "image": False},
    },
}


@pytest.fixture
def geometry(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[float]]]:
    GeometryProvider.table = {}
    monkeypatch.setattr(queue, "_wake", lambda space_id: None)
    with override_settings(EMBEDDING_PROVIDERS=PROVIDERS):
        yield GeometryProvider.table
    GeometryProvider.table = {}


@pytest.fixture
def text_space(geometry: dict[str, list[float]]) -> EmbeddingSpace:
    return spaces.space_create(name="text", provider_alias="geometry-text", activate=True)


@pytest.fixture
def placed_item(geometry: dict[str, list[float]]) -> Callable[..., Item]:
    """An item whose text vector is ``vector``."""

    def make(external_id: str, vector: list[float], **fields: Any) -> Item:
        fields.setdefault("title", f"Item {external_id}")
        item = make_item(external_id, images=0, **fields)
        geometry[item_text(item)] = vector
        return item

    return make


def embed(space: EmbeddingSpace) -> None:
    """Embed what changed (the catalog's signal waits for a commit these tests never make)."""
    queue.item_embeddings_schedule(item_ids=list(Item.objects.values_list("pk", flat=True)))
    assert queue.space_embed_pending(space=space).failed == 0
