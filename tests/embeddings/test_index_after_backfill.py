"""A large backfill builds its space's HNSW index once, when it ends, instead of inserting
every vector into the graph as it is stored; the sweeper builds an index nobody built."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection, transaction

from catalog.filters import ItemFilter
from embeddings.index import _BUILD_LOCK, index_build_once, index_drop, index_ready, space_nearest
from embeddings.models import EmbeddingSpace, ItemEmbeddingState
from embeddings.queue import embedding_sweep, space_embed_pending
from embeddings.spaces import space_create
from tests.embeddings.factories import make_item
from tests.embeddings.fakes import fake_vector

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]


def pending(space: EmbeddingSpace) -> int:
    return ItemEmbeddingState.objects.filter(
        space=space, status=ItemEmbeddingState.Status.PENDING
    ).count()


def uses_index(space: EmbeddingSpace) -> bool:
    with transaction.atomic(), connection.cursor() as cursor:
        # A dozen rows: a scan and a sort are cheaper than the index, unless ruled out.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM embeddings_embedding WHERE space_id = {space.pk} "  # noqa: S608
            f"ORDER BY vector::halfvec({space.dimensions}) <=> %s::halfvec({space.dimensions}) "
            "LIMIT 5",
            [str(fake_vector(b"q", 8).tolist())],
        )
        return space.index_name in "\n".join(row[0] for row in cursor.fetchall())


def test_a_small_backfill_gets_its_index_with_the_space(settings: Any) -> None:
    settings.SEARCHAPP_INDEX_AFTER_BACKFILL = 10
    for n in range(9):
        make_item(f"small-{n}")
    space = space_create(name="fake", provider_alias="fake", activate=True)
    assert index_ready(space) and pending(space) == 9


def test_a_large_backfill_builds_the_index_when_it_ends(settings: Any) -> None:
    settings.SEARCHAPP_INDEX_AFTER_BACKFILL = 10
    settings.SEARCHAPP_EMBED_BATCH_ITEMS = 4
    for n in range(12):
        make_item(f"large-{n}")
    space = space_create(name="fake", provider_alias="fake", activate=True)
    assert not index_ready(space)
    space_embed_pending(space=space, max_rounds=2)  # 8 of 12 stored: not yet
    assert pending(space) == 4 and not index_ready(space)
    # Meanwhile the space is searched by an exact scan: the answers are all there.
    found = space_nearest(
        space=space, vector=fake_vector(b"q", 8), item_filter=ItemFilter(), depth=20, exact=False
    )
    assert len(found) == 8
    space_embed_pending(space=space)
    assert pending(space) == 0 and index_ready(space) and uses_index(space)
    found = space_nearest(
        space=space, vector=fake_vector(b"q", 8), item_filter=ItemFilter(), depth=20, exact=False
    )
    assert len(found) == 12


def test_the_sweeper_wakes_a_space_whose_index_was_never_built(settings: Any) -> None:
    make_item("one")
    space = space_create(name="fake", provider_alias="fake", activate=True)
    space_embed_pending(space=space)
    assert embedding_sweep().woken_spaces == []
    index_drop(space)  # as if the worker that was to build it died
    assert embedding_sweep().woken_spaces == [space.pk]
    space_embed_pending(space=space)  # the woken task: nothing to claim, so it builds
    assert index_ready(space) and embedding_sweep().woken_spaces == []


def test_one_session_builds_while_another_holds_the_build_lock() -> None:
    make_item("one")
    space = space_create(name="fake", provider_alias="fake", activate=True)
    index_drop(space)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_BUILD_LOCK + space.pk])
        assert index_build_once(space) is False and not index_ready(space)
        other.execute("SELECT pg_advisory_unlock(%s)", [_BUILD_LOCK + space.pk])
    assert index_build_once(space) is True and index_ready(space)
    assert index_build_once(space) is False  # ready: nothing to build
