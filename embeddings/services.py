"""Writes for embeddings: spaces, the per-(item, space) work queue, and storing vectors.

The state table is the queue (Saleor's dirty-flag pattern). Writing an item marks its
state pending in every live space when its inputs changed; on commit a Celery task wakes
up, claims a provider-sized batch of pending states with SKIP LOCKED and a lease, embeds
them, and stores the vectors only if the item's inputs are still the ones it embedded.
A killed worker's lease runs out and the sweeper hands the work to another.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from pgvector.psycopg import register_vector

from catalog.models import Item
from embeddings.inputs import Source, item_sources, source_part, sources_sha256
from embeddings.models import Embedding, EmbeddingSpace, ItemEmbeddingState, ProviderUsage
from embeddings.providers.base import (
    EmbeddingInput,
    EmbeddingProvider,
    InputType,
    PermanentProviderError,
    ProviderError,
    Usage,
)
from embeddings.providers.registry import providers

logger = logging.getLogger(__name__)

LIVE_STATUSES = (EmbeddingSpace.Status.BUILDING, EmbeddingSpace.Status.ACTIVE)
State = ItemEmbeddingState.Status


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- spaces ---------------------------------------------------------------------------------


def space_create(
    *,
    name: str,
    provider_alias: str,
    embeds_text: bool | None = None,
    embeds_images: bool | None = None,
    activate: bool = False,
) -> EmbeddingSpace:
    """Create a space for a configured provider, its HNSW index, and queue the backfill."""
    provider = providers[provider_alias]
    try:
        capabilities = provider.capabilities
        model_name = provider.model_name
    except ProviderError as exc:
        raise ValidationError(f"Provider {provider_alias!r} is not usable: {exc.message}") from exc
    text = capabilities.text if embeds_text is None else embeds_text
    images = capabilities.image if embeds_images is None else embeds_images
    if text and not capabilities.text:
        raise ValidationError(f"Provider {provider_alias!r} cannot embed text.")
    if images and not capabilities.image:
        raise ValidationError(f"Provider {provider_alias!r} cannot embed images.")
    if EmbeddingSpace.objects.filter(name=name).exists():
        raise ValidationError({"name": f"A space named {name!r} already exists."})
    space = EmbeddingSpace(
        name=name,
        provider_alias=provider_alias,
        model_name=model_name,
        dimensions=capabilities.dimensions,
        embeds_text=text,
        embeds_images=images,
    )
    space.full_clean()
    space.save()
    _create_index(space)
    if activate:
        space_activate(space=space)
    space_backfill(space=space, scope="all")
    return space


def _create_index(space: EmbeddingSpace) -> None:
    """pgvector's recipe for several models in one table: a partial expression index per
    space. CONCURRENTLY does not block writers, but cannot run inside a transaction."""
    concurrently = "" if connection.in_atomic_block else "CONCURRENTLY"
    m = _setting("SEARCHAPP_HNSW_M", 32)
    ef_construction = _setting("SEARCHAPP_HNSW_EF_CONSTRUCTION", 128)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX {concurrently} IF NOT EXISTS {space.index_name} "  # noqa: S608 - ints only
            f"ON {Embedding._meta.db_table} "
            f"USING hnsw ((vector::halfvec({int(space.dimensions)})) halfvec_cosine_ops) "
            f"WITH (m = {m}, ef_construction = {ef_construction}) "
            f"WHERE space_id = {int(space.pk)}"
        )


def space_activate(*, space: EmbeddingSpace) -> EmbeddingSpace:
    space.status = EmbeddingSpace.Status.ACTIVE
    space.activated_at = timezone.now()
    space.save(update_fields=["status", "activated_at"])
    return space


def space_retire(*, space: EmbeddingSpace) -> EmbeddingSpace:
    space.status = EmbeddingSpace.Status.RETIRED
    space.save(update_fields=["status"])
    return space


def space_delete(*, space: EmbeddingSpace) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {space.index_name}")
    space.delete()


def space_backfill(*, space: EmbeddingSpace, scope: str = "all") -> int:
    """Mark work pending in a space and wake the workers. scope: "all" (every item,
    unchanged ones are skipped without a provider call), "stale" (items without a ready,
    current state) or "failed". Returns how many items were marked."""
    if scope not in {"all", "stale", "failed"}:
        raise ValueError(f"unknown backfill scope {scope!r}")
    now = timezone.now()
    with transaction.atomic():
        missing = Item.objects.exclude(embedding_states__space=space).values_list("pk", flat=True)
        ItemEmbeddingState.objects.bulk_create(
            [
                ItemEmbeddingState(space=space, item_id=pk, pending_since=now)
                for pk in missing.iterator()
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        states = ItemEmbeddingState.objects.filter(space=space)
        if scope == "failed":
            states = states.filter(status=State.FAILED)
        elif scope == "stale":
            states = states.exclude(status=State.READY)
        marked = states.update(
            status=State.PENDING, pending_since=now, leased_until=None, attempts=0, last_error=""
        )
        _wake(space.pk)
    return marked


# --- scheduling from item writes ------------------------------------------------------------


def item_embeddings_schedule(*, item_ids: Sequence[int]) -> int:
    """Called by catalog services after an item's text or images changed: mark the item
    pending in every live space whose inputs for it changed, and wake a worker on commit.
    Returns the number of (item, space) pairs marked."""
    spaces = list(EmbeddingSpace.objects.filter(status__in=LIVE_STATUSES))
    if not spaces or not item_ids:
        return 0
    items = {
        item.pk: item for item in Item.objects.filter(pk__in=item_ids).prefetch_related("images")
    }
    states = {
        (state.space_id, state.item_id): state
        for state in ItemEmbeddingState.objects.filter(item_id__in=items, space__in=spaces)
    }
    now = timezone.now()
    marked = 0
    woken: set[int] = set()
    for space in spaces:
        for item in items.values():
            current = sources_sha256(_sources(item, space))
            state = states.get((space.pk, item.pk))
            if state is not None and state.status == State.READY and state.input_sha256 == current:
                continue
            ItemEmbeddingState.objects.update_or_create(
                space=space,
                item=item,
                defaults={
                    "status": State.PENDING,
                    "pending_since": now,
                    "attempts": 0,
                    "last_error": "",
                },
            )
            marked += 1
            woken.add(space.pk)
    for space_id in woken:
        _wake(space_id)
    return marked


def _wake(space_id: int) -> None:
    """Wake a worker for this space once the transaction commits."""
    transaction.on_commit(partial(_send_wake_up, space_id))


def _send_wake_up(space_id: int) -> None:
    """The write has committed; a broker that cannot be reached must not turn it into an
    error. The work stays pending in the state table and the sweeper wakes a worker."""
    from embeddings.tasks import embed_pending

    try:
        embed_pending.delay(space_id)
    except BrokerError as exc:
        logger.warning("could not wake a worker for space %s (the sweeper will): %s", space_id, exc)


def _sources(item: Item, space: EmbeddingSpace) -> list[Source]:
    return item_sources(item, item.images.all(), text=space.embeds_text, image=space.embeds_images)


# --- the worker's side ------------------------------------------------------------------------


@dataclass
class EmbedReport:
    claimed: int = 0
    ready: int = 0
    failed: int = 0
    requeued: int = 0  # inputs changed while embedding: left pending for the next round
    provider_inputs: int = 0
    errors: dict[int, str] = field(default_factory=dict)


def _lease() -> timedelta:
    return timedelta(seconds=_setting("SEARCHAPP_EMBED_LEASE_SECONDS", 600))


def space_claim_pending(*, space: EmbeddingSpace, limit: int) -> list[int]:
    """Take up to ``limit`` pending items of a space for this worker (oldest first)."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            ItemEmbeddingState.objects.select_for_update(skip_locked=True)
            .filter(space=space, status=State.PENDING)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .order_by("pending_since", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        ItemEmbeddingState.objects.filter(pk__in=ids).update(leased_until=now + _lease())
        return list(ItemEmbeddingState.objects.filter(pk__in=ids).values_list("item_id", flat=True))


def claim_size(provider: EmbeddingProvider) -> int:
    """Items a worker claims per round: SEARCHAPP_EMBED_BATCH_ITEMS, or by default four of
    the provider's batches, so the per-round database work (claim, read, store) is shared by
    several provider calls; a round stays short enough to keep the lease."""
    configured = _setting("SEARCHAPP_EMBED_BATCH_ITEMS", 0)
    return max(1, configured or min(4 * provider.capabilities.max_batch, 256))


def space_embed_pending(
    *, space: EmbeddingSpace, final_attempt: bool = True, max_rounds: int = 0
) -> EmbedReport:
    """Embed pending items of a space batch by batch until none is left (or max_rounds).
    A transient provider error releases the batch and propagates (the task retries it)
    unless this is the final attempt, when the items are marked failed (retryable)."""
    batch = claim_size(providers[space.provider_alias])
    report = EmbedReport()
    rounds = 0
    while not max_rounds or rounds < max_rounds:
        rounds += 1
        item_ids = space_claim_pending(space=space, limit=batch)
        if not item_ids:
            break
        if rounds == 1 and len(item_ids) == batch:
            # More is likely waiting: wake one more task, so that every idle worker process
            # joins in (each one wakes the next) instead of one process doing a backfill alone.
            _wake(space.pk)
        report.claimed += len(item_ids)
        try:
            space_embed_items(space=space, item_ids=item_ids, report=report)
        except ProviderError as exc:
            if not exc.transient:
                raise
            _release(space, item_ids, error=str(exc), give_up=final_attempt)
            if final_attempt:
                report.failed += len(item_ids)
                for item_id in item_ids:
                    report.errors[item_id] = str(exc)
                continue
            raise
    return report


def _release(space: EmbeddingSpace, item_ids: Iterable[int], *, error: str, give_up: bool) -> None:
    """Hand a batch back after a transient failure, with the reason. ``attempts`` counts the
    rounds that ended failed (a task and its retries), not each try: every item written
    during an outage wakes a task that tries the whole pending batch, and counting those
    tries would exhaust SEARCHAPP_EMBED_MAX_ATTEMPTS within one outage."""
    states = list(ItemEmbeddingState.objects.filter(space=space, item_id__in=list(item_ids)))
    now = timezone.now()
    for state in states:
        state.updated_at = now  # bulk_update does not apply auto_now
        state.last_error = error[:2000]
        state.leased_until = None
        state.retryable = True
        if give_up:
            state.attempts += 1
            state.status = State.FAILED
    ItemEmbeddingState.objects.bulk_update(
        states, ["attempts", "last_error", "leased_until", "retryable", "status", "updated_at"]
    )


def space_embed_items(
    *, space: EmbeddingSpace, item_ids: Sequence[int], report: EmbedReport | None = None
) -> EmbedReport:
    """Embed these items' changed sources in one provider call (split per item only when
    the provider rejects the batch, to find the bad one) and store the results."""
    report = report or EmbedReport()
    provider = providers[space.provider_alias]
    items = list(Item.objects.filter(pk__in=item_ids).prefetch_related("images"))
    gone = set(item_ids) - {item.pk for item in items}
    if gone:  # deleted meanwhile: their states went with them
        logger.debug("items %s were deleted before embedding", sorted(gone))
    current = {
        (row.item_id, row.image_id): row.input_sha256
        for row in Embedding.objects.filter(space=space, item__in=items).only(
            "item_id", "image_id", "input_sha256"
        )
    }
    work: list[tuple[Item, list[Source], list[Source]]] = []  # item, all sources, to embed
    for item in items:
        sources = _sources(item, space)
        todo = [s for s in sources if current.get((item.pk, s.image_id)) != s.sha256]
        work.append((item, sources, todo))

    vectors_by_item: dict[int, list[tuple[Source, npt.NDArray[np.float32]]]] = {}
    failed: dict[int, str] = {}
    inputs, owners = _inputs_for(work, failed)
    if inputs:
        try:
            result = provider.embed(inputs, input_type=InputType.DOCUMENT)
            provider_usage_record(alias=space.provider_alias, usage=result.usage)
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
                    result = provider.embed(single, input_type=InputType.DOCUMENT)
                    provider_usage_record(alias=space.provider_alias, usage=result.usage)
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


def _inputs_for(
    work: Sequence[tuple[Item, list[Source], list[Source]]], failed: dict[int, str]
) -> tuple[list[EmbeddingInput], list[tuple[int, Source]]]:
    inputs: list[EmbeddingInput] = []
    owners: list[tuple[int, Source]] = []
    images = {img.pk: img for item, _, _ in work for img in item.images.all()}
    for item, _sources_all, todo in work:
        parts = []
        try:
            for source in todo:
                image = images.get(source.image_id) if source.image_id else None
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
        items = Item.objects.filter(pk__in=list(locked)).prefetch_related("images")
        now = timezone.now()
        current = {item.pk: sources_sha256(_sources(item, space)) for item in items}
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
    raw = connection.connection
    if raw not in _VECTOR_CONNECTIONS:  # the dumper is registered once per connection
        register_vector(raw)
        _VECTOR_CONNECTIONS.add(raw)
    with psycopg.Cursor(raw) as cursor:  # server-side binding: %b sends binary
        cursor.executemany(
            f"INSERT INTO {Embedding._meta.db_table} "  # noqa: S608
            "(space_id, item_id, image_id, vector, input_sha256, embedded_at) "
            "VALUES (%s, %s, %s, %b, %s, %s) ON CONFLICT (space_id, item_id, image_id) "
            "DO UPDATE SET vector = EXCLUDED.vector, input_sha256 = EXCLUDED.input_sha256, "
            "embedded_at = EXCLUDED.embedded_at",
            rows,
        )


_VECTOR_CONNECTIONS: weakref.WeakSet[Any] = weakref.WeakSet()


def _mark_failed(space: EmbeddingSpace, item_id: int, error: str) -> None:
    ItemEmbeddingState.objects.filter(space=space, item_id=item_id).update(
        status=State.FAILED,
        last_error=error[:2000],
        leased_until=None,
        retryable=False,
        updated_at=timezone.now(),
    )


# --- the sweeper --------------------------------------------------------------------------------


@dataclass
class SweepReport:
    woken_spaces: list[int] = field(default_factory=list)
    retried_failed: int = 0


def embedding_sweep() -> SweepReport:
    """Periodic: retry failures that were transient, and wake workers for pending work
    that nobody holds (a lost task, an expired lease after a killed worker)."""
    report = SweepReport()
    now = timezone.now()
    retry_after = timedelta(seconds=_setting("SEARCHAPP_EMBED_RETRY_FAILED_AFTER", 300))
    max_attempts = _setting("SEARCHAPP_EMBED_MAX_ATTEMPTS", 20)
    report.retried_failed = ItemEmbeddingState.objects.filter(
        status=State.FAILED,
        retryable=True,
        attempts__lt=max_attempts,
        updated_at__lt=now - retry_after,
        space__status__in=LIVE_STATUSES,
    ).update(status=State.PENDING, pending_since=now, leased_until=None)
    stuck = (
        ItemEmbeddingState.objects.filter(status=State.PENDING, space__status__in=LIVE_STATUSES)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .values_list("space_id", flat=True)
        .distinct()
    )
    for space_id in stuck:
        _wake(space_id)
        report.woken_spaces.append(space_id)
    return report


def items_reembed(*, item_ids: Sequence[int], space: EmbeddingSpace | None = None) -> int:
    """Embed these items again even though their inputs did not change (a curator's
    "re-embed"): forget the stored hashes, mark pending, wake the workers."""
    spaces = (
        [space]
        if space is not None
        else list(EmbeddingSpace.objects.filter(status__in=LIVE_STATUSES))
    )
    now = timezone.now()
    marked = 0
    with transaction.atomic():
        for each in spaces:
            Embedding.objects.filter(space=each, item_id__in=item_ids).update(input_sha256="")
            for item_id in item_ids:
                ItemEmbeddingState.objects.update_or_create(
                    space=each,
                    item_id=item_id,
                    defaults={"status": State.PENDING, "pending_since": now, "attempts": 0,
                              "last_error": "", "input_sha256": "", "leased_until": None},
                )  # fmt: skip
                marked += 1
            _wake(each.pk)
    return marked


def provider_usage_record(*, alias: str, usage: Usage) -> None:
    """Add one call's usage to the alias's row for today (UTC), atomically."""
    if not (usage.requests or usage.inputs):
        return
    table = ProviderUsage._meta.db_table
    counters = ("requests", "inputs", "text_tokens", "images", "image_pixels")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (alias, day, {', '.join(counters)}) "  # noqa: S608 - fixed names
            f"VALUES (%s, (now() AT TIME ZONE 'UTC')::date, {', '.join(['%s'] * len(counters))}) "
            f"ON CONFLICT (alias, day) DO UPDATE SET "
            + ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in counters),
            [alias, *(getattr(usage, name) for name in counters)],
        )


def space_fill(
    *, space: EmbeddingSpace, progress: Callable[[EmbedReport], None] | None = None
) -> EmbedReport:
    """Embed every pending item of a space here and now, batch by batch (workers may take
    batches too: claims never overlap). Calls ``progress`` after each batch."""
    total = EmbedReport()
    while True:
        report = space_embed_pending(space=space, max_rounds=1)
        if not report.claimed:
            return total
        for name in ("claimed", "ready", "failed", "requeued", "provider_inputs"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.errors.update(report.errors)
        if progress is not None:
            progress(total)


def space_replace(*, old: EmbeddingSpace, new: EmbeddingSpace) -> None:
    """Switch search from one space to another: the new one becomes active, the old one
    is retired (its vectors stay until the space is deleted)."""
    with transaction.atomic():
        space_activate(space=new)
        space_retire(space=old)


def providers_warm() -> list[str]:
    """Load the providers of every live space now (worker start). A provider that cannot
    load is logged and left for the work itself to report."""
    warmed = []
    aliases = EmbeddingSpace.objects.filter(status__in=LIVE_STATUSES).values_list(
        "provider_alias", flat=True
    )
    for alias in sorted(set(aliases)):
        try:
            providers[alias].warm()
        except Exception:  # a missing model is reported per item, not at start-up
            logger.warning("could not warm provider %s", alias, exc_info=True)
            continue
        warmed.append(alias)
    return warmed
