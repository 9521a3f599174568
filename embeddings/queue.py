"""The per-(item, space) work queue: scheduling, wake-ups, claims, the sweeper, re-embeds.

The state table is the queue (Saleor's dirty-flag pattern). Writing an item marks its
state pending in every live space when its inputs changed; on commit a Celery task wakes
up, claims a provider-sized batch of pending states with SKIP LOCKED and a lease, embeds
them (embeddings.store), and a killed worker's lease runs out for the sweeper to hand the
work to another.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from catalog.models import Item
from embeddings.index import index_build_once, index_ready
from embeddings.inputs import sources_sha256, space_item_sources
from embeddings.models import LIVE_STATUSES, Embedding, EmbeddingSpace, ItemEmbeddingState
from embeddings.providers.base import EmbeddingProvider, ProviderError
from embeddings.space_provider import space_provider
from embeddings.store import EmbedReport, space_embed_items

logger = logging.getLogger(__name__)

State = ItemEmbeddingState.Status


# --- marking work pending -------------------------------------------------------------------


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


def item_embeddings_schedule(*, item_ids: Sequence[int]) -> int:
    """An item's text or images may have changed (catalog's `item_content_changed`): mark
    it pending in every live space whose inputs for it changed, and wake a worker on commit.
    Returns the number of (item, space) pairs marked."""
    spaces = list(EmbeddingSpace.objects.filter(status__in=LIVE_STATUSES))
    if not spaces or not item_ids:
        return 0
    now = timezone.now()
    marked = 0
    woken: set[int] = set()
    with transaction.atomic():
        items = {
            item.pk: item
            for item in Item.objects.filter(pk__in=item_ids).prefetch_related("images")
        }
        states = {
            (state.space_id, state.item_id): state
            for state in ItemEmbeddingState.objects.filter(item_id__in=items, space__in=spaces)
        }
        for space in spaces:
            for item in items.values():
                current = sources_sha256(space_item_sources(space, item))
                state = states.get((space.pk, item.pk))
                if (
                    state is not None
                    and state.status == State.READY
                    and state.input_sha256 == current
                ):
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


# --- the worker's side ------------------------------------------------------------------------


def space_claim_pending(*, space: EmbeddingSpace, limit: int) -> list[int]:
    """Take up to ``limit`` pending items of a space for this worker (oldest first)."""
    now = timezone.now()
    lease = timedelta(seconds=settings.SEARCHAPP_EMBED_LEASE_SECONDS)
    table = ItemEmbeddingState._meta.db_table
    # One statement, one round trip: the rows are chosen, locked, leased and returned together.
    # The choice is a MATERIALIZED CTE, so it runs once. As `id IN (SELECT ... LIMIT n FOR
    # UPDATE SKIP LOCKED)`, a nested-loop plan (the planner's pick on some table statistics)
    # ran the choice again for every row it visited, skipped the rows the statement itself had
    # just leased, and so took more (or fewer) than `limit` rows.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH chosen AS MATERIALIZED (SELECT id FROM {table} "  # noqa: S608 - a fixed name
            "WHERE space_id = %s AND status = %s AND (leased_until IS NULL OR leased_until < %s) "
            "ORDER BY pending_since, id LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"UPDATE {table} AS state SET leased_until = %s FROM chosen "
            "WHERE state.id = chosen.id RETURNING state.item_id",
            [space.pk, State.PENDING, now, limit, now + lease],
        )
        return [item_id for (item_id,) in cursor.fetchall()]


def claim_size(provider: EmbeddingProvider, *, images: bool = False) -> int:
    """Items a worker claims per round: SEARCHAPP_EMBED_BATCH_ITEMS, or by default four of
    the provider's batches (at most 256), so the per-round database work (claim, read,
    store) is shared by several provider calls. A space that embeds images claims one
    batch: an image costs a model many times its text, so one batch is seconds of model
    time already, and small rounds spread a backfill evenly over the worker processes (the
    last round of one process is not left to run while the others idle)."""
    configured = int(settings.SEARCHAPP_EMBED_BATCH_ITEMS)
    batch = provider.capabilities.max_batch
    return max(1, configured or (batch if images else min(4 * batch, 256)))


def space_embed_pending(
    *, space: EmbeddingSpace, final_attempt: bool = True, max_rounds: int = 0
) -> EmbedReport:
    """Embed pending items of a space batch by batch until none is left (or max_rounds).
    A transient provider error releases the batch and propagates (the task retries it)
    unless this is the final attempt, when the items are marked failed (retryable). A
    provider that no longer makes the space's model claims nothing: the work stays pending."""
    batch = claim_size(space_provider(space), images=space.embeds_images)
    report = EmbedReport()
    rounds = 0
    while not max_rounds or rounds < max_rounds:
        rounds += 1
        item_ids = space_claim_pending(space=space, limit=batch)
        if not item_ids:
            space_index_when_filled(space=space)
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


def space_index_when_filled(*, space: EmbeddingSpace) -> bool:
    """A space whose index waited for its backfill (`spaces.space_create`) gets it once no
    item is pending any more (failed ones do not hold it back): built by the worker that
    finds the queue empty, once (`index_build_once`). True when this call built it."""
    if index_ready(space):
        return False
    if ItemEmbeddingState.objects.filter(space=space, status=State.PENDING).exists():
        return False
    built = index_build_once(space)
    if built:
        logger.info("built the HNSW index of space %s after its backfill", space.name)
    return built


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


# --- the sweeper --------------------------------------------------------------------------------


@dataclass
class SweepReport:
    woken_spaces: list[int] = field(default_factory=list)
    retried_failed: int = 0


def embedding_sweep() -> SweepReport:
    """Periodic: retry failures that were transient, and wake workers for pending work
    that nobody holds (a lost task, an expired lease after a killed worker) and for spaces
    whose index is missing."""
    report = SweepReport()
    now = timezone.now()
    retry_after = timedelta(seconds=settings.SEARCHAPP_EMBED_RETRY_FAILED_AFTER)
    report.retried_failed = ItemEmbeddingState.objects.filter(
        status=State.FAILED,
        retryable=True,
        attempts__lt=settings.SEARCHAPP_EMBED_MAX_ATTEMPTS,
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
    # A space whose index waited for its backfill and was not built (its last worker died):
    # a woken worker finds the queue empty and builds it.
    waiting = EmbeddingSpace.objects.filter(status__in=LIVE_STATUSES).exclude(
        pk__in=report.woken_spaces
    )
    for space in waiting:
        if not index_ready(space):
            _wake(space.pk)
            report.woken_spaces.append(space.pk)
    return report
