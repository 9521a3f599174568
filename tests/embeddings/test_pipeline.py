"""The ingest pipeline in-process: spaces, scheduling, idempotency, failures, the sweeper."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Item
from embeddings import queue, selectors
from embeddings.inputs import clean_text, item_text
from embeddings.models import Embedding, EmbeddingSpace, ItemEmbeddingState
from embeddings.providers.base import TextPart
from embeddings.providers.registry import providers
from embeddings.queue import (
    claim_size,
    embedding_sweep,
    items_reembed,
    space_backfill,
    space_claim_pending,
    space_embed_pending,
)
from embeddings.spaces import space_create, space_delete, space_retire
from embeddings.store import EmbedReport
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes
from tests.embeddings.factories import make_item
from tests.embeddings.fakes import FakeProvider, fake_vector

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]
State = ItemEmbeddingState.Status


def provider_inputs() -> int:
    return sum(len(call) for call in FakeProvider.calls)


def drain(space: EmbeddingSpace) -> EmbedReport:
    return space_embed_pending(space=space)


def test_space_creation_makes_its_partial_hnsw_index() -> None:
    space = space_create(name="fake", provider_alias="fake", activate=True)
    assert (space.dimensions, space.model_name, space.status) == (8, "fake-8", "active")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [space.index_name])
        (indexdef,) = cursor.fetchone()
    assert "hnsw" in indexdef and "halfvec(8)" in indexdef and "halfvec_cosine_ops" in indexdef
    assert f"(space_id = {space.pk})" in indexdef
    space_delete(space=space)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [space.index_name])
        assert cursor.fetchone() is None


def test_backfill_embeds_text_and_every_image_then_nothing_on_a_second_run() -> None:
    first, second = make_item("a", images=2), make_item("b", title="Blue lamp", images=0)
    space = space_create(name="fake", provider_alias="fake")
    report = drain(space)
    assert (report.ready, report.failed) == (2, 0)
    rows = Embedding.objects.filter(space=space)
    assert rows.count() == 4  # a: text + 2 images, b: text
    text_row = rows.get(item=first, image__isnull=True)
    expected = fake_vector(b"text:" + item_text(first).encode(), 8)
    assert np.allclose(np.array(text_row.vector), expected, atol=1e-6)
    assert all(len(row.input_sha256) == 64 for row in rows)
    assert FakeProvider.calls and max(len(c) for c in FakeProvider.calls) <= 4  # provider batches
    progress = selectors.space_progress(space=space)
    assert (progress.ready, progress.pending, progress.failed, progress.total) == (2, 0, 0, 2)

    FakeProvider.calls.clear()
    space_backfill(space=space, scope="all")
    drain(space)
    assert provider_inputs() == 0  # same inputs: no provider call
    assert ItemEmbeddingState.objects.get(space=space, item=second).status == State.READY


def test_item_writes_schedule_only_changed_inputs() -> None:
    space = space_create(name="fake", provider_alias="fake", activate=True)
    item = make_item("a", images=1)
    assert ItemEmbeddingState.objects.get(space=space, item=item).status == State.PENDING
    drain(space)
    FakeProvider.calls.clear()

    catalog_services.item_update(item=item, price=5)  # price is not embedded
    assert ItemEmbeddingState.objects.get(space=space, item=item).status == State.READY

    catalog_services.item_update(item=item, title="Green mug")
    assert ItemEmbeddingState.objects.get(space=space, item=item).status == State.PENDING
    drain(space)
    assert provider_inputs() == 1  # only the text: the image did not change
    FakeProvider.calls.clear()

    catalog_services.item_image_add(
        item=item, image=image_from_bytes(make_image_bytes(color=(0, 0, 250)))
    )
    drain(space)
    assert provider_inputs() == 1 and Embedding.objects.filter(space=space, item=item).count() == 3

    catalog_services.item_image_delete(item_image=item.images.get(position=0))
    drain(space)
    assert Embedding.objects.filter(space=space, item=item).count() == 2
    assert ItemEmbeddingState.objects.get(space=space, item=item).status == State.READY


def test_text_only_space_ignores_images_and_deleting_an_item_deletes_its_vectors() -> None:
    space = space_create(name="words", provider_alias="fake-text", activate=True)
    assert (space.embeds_text, space.embeds_images) == (True, False)
    item = make_item("a", images=2)
    drain(space)
    assert Embedding.objects.filter(space=space, item=item).count() == 1
    catalog_services.item_image_add(
        item=item, image=image_from_bytes(make_image_bytes(color=(1, 99, 1)))
    )
    assert (
        ItemEmbeddingState.objects.get(space=space, item=item).status == State.READY
    )  # nothing to do
    catalog_services.item_delete(item=item)
    assert Embedding.objects.count() == 0 and ItemEmbeddingState.objects.count() == 0


def test_transient_errors_release_the_batch_and_the_final_attempt_records_a_retryable_failure() -> (
    None
):
    items = [make_item(f"i{n}", title=f"Item {n}", images=0) for n in range(3)]
    space = space_create(name="fake", provider_alias="fake-text")
    FakeProvider.transient_failures = 1
    with pytest.raises(Exception, match="503"):
        space_embed_pending(space=space, final_attempt=False)
    states = ItemEmbeddingState.objects.filter(space=space)
    assert all(
        s.status == State.PENDING and s.leased_until is None and s.attempts == 0 for s in states
    )
    assert "503" in states[0].last_error
    drain(space)  # the provider answers again
    assert ItemEmbeddingState.objects.filter(space=space, status=State.READY).count() == 3

    catalog_services.item_update(item=items[0], title="Changed")
    FakeProvider.transient_failures = 10
    report = space_embed_pending(space=space, final_attempt=True)
    state = ItemEmbeddingState.objects.get(space=space, item=items[0])
    assert report.failed == 1 and state.status == State.FAILED and state.retryable
    assert state.attempts == 1  # one failed round: what SEARCHAPP_EMBED_MAX_ATTEMPTS counts
    assert Item.objects.filter(pk=items[0].pk).exists()  # the item is never lost


def test_a_permanent_error_fails_only_the_bad_item_with_a_readable_reason() -> None:
    good = [make_item(f"g{n}", title=f"Good {n}", images=0) for n in range(3)]
    bad = make_item("bad", title="Poison pill", images=0)
    space = space_create(name="fake", provider_alias="fake-text")
    FakeProvider.reject_text_containing = "Poison"
    report = drain(space)
    assert report.ready == 3 and report.failed == 1
    state = ItemEmbeddingState.objects.get(space=space, item=bad)
    assert state.status == State.FAILED and not state.retryable
    assert "400 input rejected" in state.last_error and "fake-text" in state.last_error
    assert all(
        ItemEmbeddingState.objects.get(space=space, item=g).status == State.READY for g in good
    )
    # A permanent failure is not retried by the sweeper, but by an explicit retry.
    assert embedding_sweep().retried_failed == 0
    FakeProvider.reject_text_containing = None
    space_backfill(space=space, scope="failed")
    drain(space)
    assert ItemEmbeddingState.objects.get(space=space, item=bad).status == State.READY


def test_vectors_are_not_stored_when_the_item_changed_while_embedding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = make_item("a", images=0)
    space = space_create(name="fake", provider_alias="fake-text")
    original = FakeProvider.embed_batch

    def edit_during_call(self: FakeProvider, inputs: Any, *, input_type: Any) -> Any:
        Item.objects.filter(pk=item.pk).update(title="Edited meanwhile")
        return original(self, inputs, input_type=input_type)

    monkeypatch.setattr(FakeProvider, "embed_batch", edit_during_call)
    report = space_embed_pending(space=space, max_rounds=1)
    assert report.requeued == 1 and Embedding.objects.count() == 0
    assert ItemEmbeddingState.objects.get(space=space, item=item).status == State.PENDING
    monkeypatch.setattr(FakeProvider, "embed_batch", original)
    drain(space)
    row = Embedding.objects.get(space=space, item=item)
    assert np.allclose(np.array(row.vector), fake_vector(b"text:Edited meanwhile", 6), atol=1e-6)


def test_sweeper_retries_transient_failures_and_expired_leases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    woken: list[int] = []
    monkeypatch.setattr(queue, "_wake", woken.append)
    item = make_item("a", images=0)
    space = space_create(name="fake", provider_alias="fake-text")
    claimed = space_claim_pending(space=space, limit=10)
    assert claimed == [item.pk]
    assert space_claim_pending(space=space, limit=10) == []  # leased
    ItemEmbeddingState.objects.update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )  # worker died
    woken.clear()
    assert embedding_sweep().woken_spaces == [space.pk] and woken == [space.pk]
    ItemEmbeddingState.objects.update(
        status=State.FAILED,
        retryable=True,
        leased_until=None,
        updated_at=timezone.now() - timedelta(hours=1),
    )
    assert embedding_sweep().retried_failed == 1
    drain(space)
    assert ItemEmbeddingState.objects.get(item=item).status == State.READY


def test_a_claim_takes_the_oldest_pending_items_and_skips_those_another_worker_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queue, "_wake", lambda space_id: None)
    items = [make_item(f"c{n}", images=0) for n in range(5)]
    space = space_create(name="fake", provider_alias="fake-text")
    start = timezone.now()
    for age, item in enumerate(reversed(items)):  # items[0] is the oldest
        ItemEmbeddingState.objects.filter(item=item).update(
            pending_since=start - timedelta(minutes=age)
        )
    ItemEmbeddingState.objects.filter(item=items[1]).update(status=State.READY)
    claimed: list[int] = []

    def other_worker() -> None:
        try:
            claimed.extend(space_claim_pending(space=space, limit=2))
        finally:
            connection.close()

    with transaction.atomic():  # this worker is storing items[0]'s batch
        ItemEmbeddingState.objects.select_for_update().get(item=items[0])
        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(timeout=30)
    assert sorted(claimed) == [items[2].pk, items[3].pk]  # not [0] (locked) nor [1] (ready)
    leased = ItemEmbeddingState.objects.filter(leased_until__gt=start).values_list(
        "item", flat=True
    )
    assert sorted(leased) == [items[2].pk, items[3].pk]
    # The lock released, the rest is free; the two just claimed stay leased.
    assert sorted(space_claim_pending(space=space, limit=10)) == [items[0].pk, items[4].pk]


def test_reembed_calls_the_provider_again() -> None:
    item = make_item("a", images=1)
    space = space_create(name="fake", provider_alias="fake", activate=True)
    drain(space)
    FakeProvider.calls.clear()
    items_reembed(item_ids=[item.pk])
    drain(space)
    assert provider_inputs() == 2


def test_retired_spaces_are_not_scheduled() -> None:
    space = space_create(name="fake", provider_alias="fake")
    space_retire(space=space)
    make_item("late", images=0)
    assert not ItemEmbeddingState.objects.filter(item__external_id="late").exists()


def test_text_given_to_models_is_cleaned() -> None:
    assert clean_text("<p>Hello&nbsp;<b>world</b></p>\n\n  again") == "Hello world again"
    item = Item(title="Mug", category="Kitchen", description="<i>Big</i> mug")
    assert item_text(item) == "Mug. Kitchen. Big mug"
    assert TextPart(item_text(item)).weight == 1.0


def test_a_full_claim_wakes_one_more_task_so_idle_workers_join_in(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    woken: list[int] = []
    monkeypatch.setattr(queue, "_wake", woken.append)
    settings.SEARCHAPP_EMBED_BATCH_ITEMS = 3
    for n in range(7):
        make_item(f"w{n}", images=0)
    space = space_create(name="fake", provider_alias="fake-text")
    woken.clear()
    report = space_embed_pending(space=space)
    # Rounds of 3, 3, 1: only the task's first round, full, wakes another task.
    assert (report.claimed, report.ready, woken) == (7, 7, [space.pk])
    # The provider still gets at most its own batch size per call (fake-text: 32).
    settings.SEARCHAPP_EMBED_BATCH_ITEMS = 0
    assert claim_size(providers["fake"]) == 16  # four batches of 4
    assert claim_size(providers["fake"], images=True) == 4  # a space with images: one batch
    woken.clear()
    space_backfill(space=space)
    woken.clear()
    assert space_embed_pending(space=space).claimed == 7
    assert woken == []  # 7 < 128: one round was enough, nothing more to share


def test_a_claim_takes_its_limit_whatever_the_plan_and_the_rows_order_on_disk() -> None:
    """A claim chooses and locks its rows once. A plan that ran the choice again for each row
    it visited (a nested loop; the planner picks one on some table statistics) and rows whose
    order on disk differs from their pending order (rows updated, or written where deleted
    ones were) made it take more, or fewer, than the limit."""
    for n in range(7):
        make_item(f"c{n}", images=0)
    space = space_create(name="fake", provider_alias="fake-text")
    states = ItemEmbeddingState.objects.filter(space=space)
    ids = list(states.order_by("pending_since", "id").values_list("id", flat=True))
    table = ItemEmbeddingState._meta.db_table
    shuffle = random.Random(7).shuffle  # noqa: S311 - a fixed order, no secret
    claimed = []
    for _ in range(12):
        shuffle(ids)
        with transaction.atomic(), connection.cursor() as cursor:
            for state_id in ids:  # each row's new version goes to the end of the table
                cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [state_id])  # noqa: S608
            for plan in ("hashagg", "material", "hashjoin", "mergejoin", "sort"):
                cursor.execute(f"SET LOCAL enable_{plan} = off")
            claimed.append(len(space_claim_pending(space=space, limit=3)))
            claimed.append(len(space_claim_pending(space=space, limit=10)))
            transaction.set_rollback(True)
    assert claimed == [3, 4] * 12
