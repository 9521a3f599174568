"""Receivers of the catalog's signals, connected in EmbeddingsConfig.ready()."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog.models import Item
from catalog.signals import item_content_changed
from embeddings.queue import item_embeddings_schedule


def schedule_item_embeddings(*, item_ids: Sequence[int], **kwargs: Any) -> None:
    item_embeddings_schedule(item_ids=item_ids)


def register_signal_handlers() -> None:
    item_content_changed.connect(
        schedule_item_embeddings, sender=Item, dispatch_uid="embeddings.schedule_item_embeddings"
    )
