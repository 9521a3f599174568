"""Embedding a claimed batch and storing its vectors (or marking its failures).

Vectors are stored only if the item's inputs are still the ones that were embedded: an
item edited meanwhile stays pending and the next round embeds its new inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Item
from embeddings.inputs import (
    Source,
    item_sources,
    source_part,
    sources_sha256,
    space_item_sources,
)
from embeddings.models import Embedding, EmbeddingSpace, ItemEmbeddingState
from embeddings.providers.base import EmbeddingInput, InputType, PermanentProviderError
from embeddings.space_provider import space_embed
from searchapp.db import vector_cursor

logger = logging.getLogger(__name__)

State = ItemEmbeddingState.Status


@dataclass
class EmbedReport:
    claimed: int = 0
    ready: int = 0
    failed: int = 0
    requeued: int = 0  # inputs changed while embedding: left pending for the next round
    provider_inputs: int = 0
    errors: dict[int, str] = field(default_factory=dict)

    def add(self, other: EmbedReport) -> None:
        for name in ("claimed", "ready", "failed", "requeued", "provider_inputs"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.update(other.errors)


def space_embed_items(
    *, space: EmbeddingSpace, item_ids: Sequence[int], report: EmbedReport | None = None
) -> EmbedReport:
    """Embed these items' changed sources in one provider call (split per item only when
    the provider rejects the batch, to find the bad one) and store the results."""
    report = report or EmbedReport()
    items = _items(space, item_ids)
    gone = set(item_ids) - {item.pk for item in items}
    if gone:  # deleted meanwhile: their states went with them
        logger.debug("items %s were deleted before embedding", sorted(gone))
    current: dict[tuple[int, int | None], str] = {
        (item_id, image_id): sha256
        for item_id, image_id, sha256 in Embedding.objects.filter(
            space=space, item_id__in=[item.pk for item in items]
        ).values_list("item_id", "image_id", "input_sha256")
    }
    work: list[tuple[Item, list[Source], list[Source]]] = []  # item, all sources, to embed
    for item in items:
        sources = _sources(space, item)
        todo = [s for s in sources if current.get((item.pk, s.image_id)) != s.sha256]
        work.append((item, sources, todo))

    vectors_by_item: dict[int, list[tuple[Source, npt.NDArray[np.float32]]]] = {}
    failed: dict[int, str] = {}
    inputs, owners = _inputs_for(work, failed)
    if inputs:
        try:
            result = space_embed(space=space, inputs=inputs, input_type=InputType.DOCUMENT)
            report.provider_inputs += len(inputs)
            for (item_id, source), vector in zip(owners, result.vectors, strict=True):
                vectors_by_item.setdefault(item_id, []).append((source, vector))
        except PermanentProviderError as exc:
            if len({item_id for item_id, _ in owners}) == 1:
                failed[owners[0][0]] = str(exc)
            # Find the item(s) the provider rejects; embed the rest one by one.
            for item, sources, todo in work:
                if item.pk in failed:
                    continue
                single, single_owners = _inputs_for([(item, sources, todo)], failed)
                if not single:
                    continue
                try:
                    result = space_embed(space=space, inputs=single, input_type=InputType.DOCUMENT)
                    report.provider_inputs += len(single)
                except PermanentProviderError as exc:
                    failed[item.pk] = str(exc)
                    continue
                for (item_id, source), vector in zip(single_owners, result.vectors, strict=True):
                    vectors_by_item.setdefault(item_id, []).append((source, vector))

    for item_id, error in failed.items():
        _mark_failed(space, item_id, error)
        report.failed += 1
        report.errors[item_id] = error
    results = {
        item.pk: (sources, vectors_by_item.get(item.pk, []))
        for item, sources, _ in work
        if item.pk not in failed
    }
    stored = _store(space, results)
    report.ready += stored
    report.requeued += len(results) - stored
    return report


# What an item's sources are made of (embeddings.inputs.item_text): loading the rest of an
# item (its lexical document, its attributes) costs more than storing its vector.
_SOURCE_FIELDS = ("id", "title", "category", "description")


def _items(space: EmbeddingSpace, item_ids: Sequence[int]) -> list[Item]:
    """The items with the fields their sources are made of, and their images only when the
    space embeds images."""
    items = Item.objects.filter(pk__in=list(item_ids)).only(*_SOURCE_FIELDS)
    if space.embeds_images:
        items = items.prefetch_related("images")
    return list(items)


def _sources(space: EmbeddingSpace, item: Item) -> list[Source]:
    """space_item_sources for an item from _items (a text-only space never reads images)."""
    if not space.embeds_images:
        return item_sources(item, (), text=space.embeds_text, image=False)
    return space_item_sources(space, item)


def _inputs_for(
    work: Sequence[tuple[Item, list[Source], list[Source]]], failed: dict[int, str]
) -> tuple[list[EmbeddingInput], list[tuple[int, Source]]]:
    inputs: list[EmbeddingInput] = []
    owners: list[tuple[int, Source]] = []
    for item, _sources_all, todo in work:
        parts = []
        try:
            for source in todo:
                image = (
                    next((img for img in item.images.all() if img.pk == source.image_id), None)
                    if source.image_id
                    else None
                )
                parts.append((source, source_part(item, image)))
        except OSError as exc:
            failed[item.pk] = f"cannot read the stored image: {exc}"
            continue
        for source, part in parts:
            inputs.append((part,))
            owners.append((item.pk, source))
    return inputs, owners


StoreResults = dict[int, tuple[list[Source], list[tuple[Source, npt.NDArray[np.float32]]]]]


def _store(space: EmbeddingSpace, results: StoreResults) -> int:
    """Store the vectors of a batch and mark those items ready, in one transaction. An item
    that changed while it was embedded is skipped: its state stays pending and the next
    round embeds its new inputs. Returns how many items were stored.

    A batch is a few statements whatever its size (set-based SQL over arrays): per-row ORM
    updates cost more than the model itself for fast text encoders."""
    if not results:
        return 0
    state_table = ItemEmbeddingState._meta.db_table
    with transaction.atomic():
        locked = set(
            ItemEmbeddingState.objects.select_for_update()
            .filter(space=space, item_id__in=list(results))
            .order_by("id")
            .values_list("item_id", flat=True)
        )
        now = timezone.now()
        current = {
            item.pk: sources_sha256(_sources(space, item)) for item in _items(space, list(locked))
        }
        rows: list[tuple[int, int, int | None, npt.NDArray[np.float32], str, datetime]] = []
        stored: dict[int, str] = {}  # item id -> input sha256 of its stored sources
        changed: list[int] = []
        keep_items: list[int] = []  # (item, image or 0) pairs whose vectors stay
        keep_images: list[int] = []
        for item_id, (sources, vectors) in results.items():
            if item_id not in locked or item_id not in current:
                continue  # deleted meanwhile
            embedded = sources_sha256(sources)
            if current[item_id] != embedded:
                changed.append(item_id)
                continue
            rows.extend(
                (space.pk, item_id, source.image_id, vector, source.sha256, now)
                for source, vector in vectors
            )
            for source in sources:
                keep_items.append(item_id)
                keep_images.append(source.image_id or 0)
            stored[item_id] = embedded
        with connection.cursor() as cursor:
            if rows:
                _insert_vectors(rows)
            if stored:
                # Vectors of sources the items no longer have (an image removed, text dropped).
                cursor.execute(
                    f"DELETE FROM {Embedding._meta.db_table} e WHERE e.space_id = %s "  # noqa: S608
                    "AND e.item_id = ANY(%s) AND (e.item_id, COALESCE(e.image_id, 0)) NOT IN "
                    "(SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
                    [space.pk, list(stored), keep_items, keep_images],
                )
                cursor.execute(
                    f"UPDATE {state_table} s SET status = %s, input_sha256 = v.sha, "  # noqa: S608
                    "attempts = 0, last_error = '', retryable = false, leased_until = NULL, "
                    "updated_at = %s FROM unnest(%s::bigint[], %s::text[]) AS v(item_id, sha) "
                    "WHERE s.space_id = %s AND s.item_id = v.item_id",
                    [State.READY, now, list(stored), list(stored.values()), space.pk],
                )
            if changed:
                cursor.execute(
                    f"UPDATE {state_table} SET leased_until = NULL, updated_at = %s "  # noqa: S608
                    "WHERE space_id = %s AND item_id = ANY(%s)",
                    [now, space.pk, changed],
                )
    return len(stored)


def _insert_vectors(rows: Sequence[tuple[Any, ...]]) -> None:
    """Upsert (space, item, image, vector, sha256, time) rows with the vectors in pgvector's
    binary format: no float-to-text round trip, one pipelined statement per row."""
    with vector_cursor(connection) as cursor:  # %b sends the vectors binary
        cursor.executemany(
            f"INSERT INTO {Embedding._meta.db_table} "  # noqa: S608
            "(space_id, item_id, image_id, vector, input_sha256, embedded_at) "
            "VALUES (%s, %s, %s, %b, %s, %s) ON CONFLICT (space_id, item_id, image_id) "
            "DO UPDATE SET vector = EXCLUDED.vector, input_sha256 = EXCLUDED.input_sha256, "
            "embedded_at = EXCLUDED.embedded_at",
            rows,
        )


def _mark_failed(space: EmbeddingSpace, item_id: int, error: str) -> None:
    ItemEmbeddingState.objects.filter(space=space, item_id=item_id).update(
        status=State.FAILED,
        last_error=error[:2000],
        leased_until=None,
        retryable=False,
        updated_at=timezone.now(),
    )
