"""The k-NN self-join of a space: every stored vector of one source (text or images) asks
the space's HNSW index for its nearest vectors of the same source, a batch of vectors per
statement (a LATERAL index scan per row). Never an all-pairs scan: the cost is one index
search per vector, O(n log n) over the catalog (docs/benchmarks.md, section quality)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from catalog.filters import ItemFilter
from catalog.models import Item
from embeddings.index import nearest_rows_sql
from embeddings.models import Embedding, EmbeddingSpace

BATCH_VECTORS = 500
SELF_JOIN_EF_SEARCH = 40


@dataclass(frozen=True)
class Pair:
    """Two items whose vectors of one source are near: ``first`` < ``second``."""

    first: int
    second: int
    similarity: float


def _source_clause(alias: str, images: bool) -> str:
    return f"{alias}.image_id IS {'NOT ' if images else ''}NULL"


def source_ids(*, space: EmbeddingSpace, images: bool, item_ids: Sequence[int] | None) -> list[int]:
    """The embedding rows of active items to ask about, by primary key."""
    rows = Embedding.objects.filter(space=space, item__is_active=True)
    rows = rows.filter(image__isnull=not images)
    if item_ids is not None:
        rows = rows.filter(item_id__in=list(item_ids))
    return list(rows.order_by("pk").values_list("pk", flat=True))


def self_join_sql(*, space: EmbeddingSpace, images: bool, neighbours: int) -> tuple[str, list[Any]]:
    """The batch statement for ``neighbours`` rows per vector: its last parameter is the
    list of embedding ids to ask about."""
    where, params = ItemFilter().where_sql(alias="i")
    table = Embedding._meta.db_table
    rows = (
        f"FROM {table} e JOIN {Item._meta.db_table} i ON i.id = e.item_id "
        f"WHERE e.space_id = {int(space.pk)} AND {_source_clause('e', images)} AND {where}"
    )
    # The space's nearest-rows query with the outer row's vector as the query: a
    # parameterised HNSW index scan per outer row (a test EXPLAINs it); a binary index's
    # candidates are re-ranked by cosine distance as a search's are.
    nearest = nearest_rows_sql(
        space, columns=("item_id",), rows=rows, query="q.vector", limit=neighbours
    )
    sql = (
        f"SELECT q.item_id, n.item_id, 1 - n.distance FROM {table} q "  # noqa: S608 - ints only
        f"CROSS JOIN LATERAL ({nearest}) n WHERE q.id = ANY(%s) AND n.item_id <> q.item_id"
    )
    return sql, params


def nearest_batches(
    *,
    space: EmbeddingSpace,
    images: bool,
    neighbours: int,
    item_ids: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[list[tuple[int, int, float]]]:
    """(item, other item, similarity) for each vector's ``neighbours`` nearest vectors of
    the same source among active items, a batch at a time (an item's own vectors left out)."""
    ids = source_ids(space=space, images=images, item_ids=item_ids)
    # +1: the vector itself comes back first; an item with several images more.
    sql, params = self_join_sql(space=space, images=images, neighbours=neighbours + 1)
    # pgvector's default candidate list (40), or twice the rows asked for: near pairs are
    # the first an index search finds, and a longer list costs far more per rescan here
    # (ef_search 100 measured 30 times slower than 40 in the lateral join at 3,000 vectors).
    ef_search = max(SELF_JOIN_EF_SEARCH, 2 * (neighbours + 1))
    for start in range(0, len(ids), BATCH_VECTORS):
        batch = ids[start : start + BATCH_VECTORS]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), "
                "set_config('hnsw.iterative_scan', %s, true)",
                [str(min(1000, ef_search)), settings.SEARCHAPP_HNSW_ITERATIVE_SCAN],
            )
            cursor.execute(sql, [*params, batch])
            rows = [(int(a), int(b), float(s)) for a, b, s in cursor.fetchall()]
        if progress is not None:
            progress(min(start + BATCH_VECTORS, len(ids)), len(ids))
        yield rows


def near_pairs(
    *,
    space: EmbeddingSpace,
    images: bool,
    neighbours: int,
    min_similarity: float,
    item_ids: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[tuple[int, int], float]:
    """Item pairs whose vectors of one source are at least ``min_similarity`` alike (the
    best pair of vectors for items with several images)."""
    pairs: dict[tuple[int, int], float] = {}
    for rows in nearest_batches(
        space=space, images=images, neighbours=neighbours, item_ids=item_ids, progress=progress
    ):
        for item_id, other_id, similarity in rows:
            if similarity < min_similarity:
                continue
            key = (min(item_id, other_id), max(item_id, other_id))
            pairs[key] = max(similarity, pairs.get(key, -1.0))
    return pairs


def text_vectors(
    *, space: EmbeddingSpace, item_ids: Sequence[int] | None = None, batch: int = 2000
) -> Iterator[tuple[list[int], np.ndarray]]:
    """Active items' text vectors, a batch at a time, as (item ids, unit-length rows)."""
    rows = Embedding.objects.filter(space=space, image__isnull=True, item__is_active=True)
    if item_ids is not None:
        rows = rows.filter(item_id__in=list(item_ids))
    last = 0
    while True:
        chunk = list(
            rows.filter(pk__gt=last).order_by("pk").values_list("pk", "item_id", "vector")[:batch]
        )
        if not chunk:
            return
        last = chunk[-1][0]
        matrix = np.asarray([np.asarray(vector, dtype=np.float32) for _, _, vector in chunk])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        yield [item_id for _, item_id, _ in chunk], matrix / np.maximum(norms, 1e-12)
