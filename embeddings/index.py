"""Each space's HNSW index: created, dropped, and searched.

pgvector's recipe for several models in one table: the `vector` column is untyped and each
space gets a partial expression index with its dimensions cast in. A query uses the index only
when it orders by that same expression with the matching operator, so both come from one
definition per index type (`INDEXES`, through `indexed_vector` and `index_order`):

- halfvec: `vector::halfvec(d)` with the cosine operator class; the distance the index orders
  by is the cosine distance results are ranked and scored by.
- binary: `binary_quantize(vector::halfvec(d))::bit(d)` (one bit per dimension) with the
  Hamming operator class: a sixteenth of the halfvec index's vector bytes (with the graph,
  about a third of the index). Hamming distance only finds candidates: SEARCHAPP_BINARY_RERANK
  times the rows asked for, re-ranked by the exact cosine distance of the stored vectors
  (pgvector's re-ranking recipe). Past hnsw.ef_search candidates the scan relies on
  iterative scans (SEARCHAPP_HNSW_ITERATIVE_SCAN): with them off it proposes at most
  ef_search.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from catalog.filters import ItemFilter
from catalog.models import Item
from embeddings.models import SPACE_INDEX_NAME, Embedding, EmbeddingSpace
from embeddings.providers.base import Vectors
from searchapp.db import read_alias, read_connection, vector_cursor

IndexType = EmbeddingSpace.IndexType
COSINE_DISTANCE = "<=>"


@dataclass(frozen=True)
class IndexDefinition:
    expression: str  # an SQL vector ({vector}) as the index holds it ({dimensions} cast in)
    operator_class: str
    distance: str  # the operator of that class: what ORDER BY must use to reach the index
    reranked: bool  # its order only proposes candidates, re-ranked by cosine distance


INDEXES = {
    IndexType.HALFVEC: IndexDefinition(
        expression="({vector}::halfvec({dimensions}))",
        operator_class="halfvec_cosine_ops",
        distance=COSINE_DISTANCE,
        reranked=False,
    ),
    IndexType.BINARY: IndexDefinition(
        expression="(binary_quantize({vector}::halfvec({dimensions}))::bit({dimensions}))",
        operator_class="bit_hamming_ops",
        distance="<~>",  # Hamming distance
        reranked=True,
    ),
}


def index_definition(space: EmbeddingSpace) -> IndexDefinition:
    return INDEXES[IndexType(space.index_type)]


def _as_indexed(space: EmbeddingSpace, vector: str) -> str:
    return index_definition(space).expression.format(
        vector=vector, dimensions=int(space.dimensions)
    )


def indexed_vector(space: EmbeddingSpace, alias: str = "") -> str:
    """The expression a space's index is built on (``alias``: the embedding table's alias)."""
    return _as_indexed(space, f"{alias}.vector" if alias else "vector")


def index_order(space: EmbeddingSpace, *, alias: str, query: str) -> str:
    """What ORDER BY says for the space's index to answer: the indexed expression of the
    rows (``alias``) against the same expression of ``query`` (SQL for a vector: a
    parameter, ``%s``, or another row's column)."""
    operator = index_definition(space).distance
    return f"{indexed_vector(space, alias)} {operator} {_as_indexed(space, query)}"


def cosine_distance(space: EmbeddingSpace, *, alias: str, query: str) -> str:
    """The distance results are ranked by and similarity is 1 - of: the halfvec index's own,
    or for a binary index the stored vectors' exact cosine distance."""
    if not index_definition(space).reranked:
        return f"({index_order(space, alias=alias, query=query)})"
    return f"({alias}.vector {COSINE_DISTANCE} {query}::vector)"


def binary_rerank() -> int:
    """How many candidates a binary index proposes per row asked for."""
    return max(1, int(settings.SEARCHAPP_BINARY_RERANK))


def nearest_rows_sql(
    space: EmbeddingSpace, *, columns: tuple[str, ...], rows: str, query: str, limit: int
) -> str:
    """A SELECT of ``columns`` and ``distance`` (cosine) of the ``limit`` rows nearest to
    ``query`` among ``rows`` (``FROM ... WHERE ...`` with the embedding table as ``e``),
    nearest first, by the space's index. A binary index's nearest ``limit`` x
    `binary_rerank` rows by Hamming distance are ranked again by cosine distance. ``query``
    appears twice: in the select list (before ``rows``) and in the ORDER BY (after)."""
    distance = cosine_distance(space, alias="e", query=query)
    order = index_order(space, alias="e", query=query)
    selected = ", ".join(f"e.{column}" for column in columns)
    if not index_definition(space).reranked:
        return (
            f"SELECT {selected}, {distance} AS distance {rows} ORDER BY {order} LIMIT {int(limit)}"
        )
    return (
        f"SELECT {', '.join(columns)}, distance FROM (SELECT {selected}, {distance} AS distance "  # noqa: S608
        f"{rows} ORDER BY {order} LIMIT {int(limit) * binary_rerank()}) candidates "
        f"ORDER BY distance LIMIT {int(limit)}"
    )


def index_create(space: EmbeddingSpace) -> None:
    """CONCURRENTLY does not block writers, but cannot run inside a transaction."""
    concurrently = "" if connection.in_atomic_block else "CONCURRENTLY"
    m = int(settings.SEARCHAPP_HNSW_M)
    ef_construction = int(settings.SEARCHAPP_HNSW_EF_CONSTRUCTION)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX {concurrently} IF NOT EXISTS {space.index_name} "  # noqa: S608 - ints only
            f"ON {Embedding._meta.db_table} "
            f"USING hnsw ({indexed_vector(space)} {index_definition(space).operator_class}) "
            f"WITH (m = {m}, ef_construction = {ef_construction}) "
            f"WHERE space_id = {int(space.pk)}"
        )


def index_ready(space: EmbeddingSpace) -> bool:
    """Whether the space's index exists and is valid (a failed CONCURRENTLY build leaves an
    invalid one behind)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)",
            [space.index_name],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


# A session-level advisory lock per space's index build (the key's high half marks the use).
_BUILD_LOCK = 0x1D8 << 32


def index_build_once(space: EmbeddingSpace) -> bool:
    """Build the space's index unless it is ready or another session is building it (an
    invalid leftover of a failed build is dropped first). True when this call built it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_BUILD_LOCK + int(space.pk)])
        if not cursor.fetchone()[0]:
            return False
        try:
            if index_ready(space):
                return False
            cursor.execute(f"DROP INDEX IF EXISTS {space.index_name}")
            index_create(space)
            return True
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_BUILD_LOCK + int(space.pk)])


def index_drop(space: EmbeddingSpace, *, keep: IndexType | None = None) -> None:
    """Drop the space's indexes of every index type but ``keep``."""
    names = [space.index_name_of(index_type) for index_type in IndexType if index_type != keep]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {', '.join(names)}")


def orphan_indexes_drop(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Drop the per-space indexes whose space no longer exists, and name them. `space_delete`
    drops a space's indexes itself; rows deleted past it (`manage.py flush`, SQL by hand, a
    restore of the tables alone) leave them behind, and every insert into the embeddings
    table then still checks their predicates and every plan over it still weighs them. Run
    after every migrate and flush (EmbeddingsConfig.ready)."""
    table = Embedding._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = to_regclass(%s)",  # none before the table is migrated
            [table],
        )
        found = {name: SPACE_INDEX_NAME.match(name) for (name,) in cursor.fetchall()}
        space_ids = {int(match[1]) for match in found.values() if match}
        alive = set(
            EmbeddingSpace.objects.using(using)
            .filter(pk__in=space_ids)
            .values_list("pk", flat=True)
        )
        orphans = sorted(
            name for name, match in found.items() if match and int(match[1]) not in alive
        )
        if orphans:
            cursor.execute(f"DROP INDEX IF EXISTS {', '.join(orphans)}")
    return orphans


# --- searching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Neighbour:
    """An item near the query in one space, by its best source."""

    item_id: int
    similarity: float  # 1 - cosine distance
    image_id: int | None  # the image that matched best, None when the text did


def space_nearest_sql(
    *, space: EmbeddingSpace, item_filter: ItemFilter, vector: Any, limit: int, exact: bool
) -> tuple[str, list[Any]]:
    """The nearest sources of a space under the filter: ordered by the space's indexed
    expression (see `nearest_rows_sql`), or (``exact``) by computing the cosine distance of
    every row the filter leaves, behind a fence that keeps the planner off the index.
    Literal ints only are formatted in; everything else is a parameter. ``vector``: the
    query's parameter, a NumPy array for a `vector_cursor` (as `space_nearest` sends it) or
    a vector's text."""
    where, params = item_filter.where_sql(alias="i")
    rows = (
        f"FROM {Embedding._meta.db_table} e JOIN {Item._meta.db_table} i ON i.id = e.item_id "
        f"WHERE e.space_id = {int(space.pk)} AND {where}"
    )
    if exact:
        distance = cosine_distance(space, alias="e", query="%s")
        sql = (
            f"SELECT item_id, image_id, distance FROM (SELECT e.item_id, e.image_id, "  # noqa: S608
            f"{distance} AS distance {rows} OFFSET 0) fenced ORDER BY distance LIMIT {int(limit)}"
        )
        return sql, [vector, *params]
    sql = nearest_rows_sql(
        space, columns=("item_id", "image_id"), rows=rows, query="%s", limit=limit
    )
    return sql, [vector, *params, vector]


def space_nearest(
    *, space: EmbeddingSpace, vector: Vectors, item_filter: ItemFilter, depth: int, exact: bool
) -> list[Neighbour]:
    """The items nearest to ``vector`` in a space, one per item (its best source), up to
    ``depth``, by similarity then item id. ``exact`` (see `exact_search_pays`) answers a
    selective filter by an exact scan; otherwise iterative index scans keep filtered
    queries from coming back short. The row limit grows when items have many images until
    ``depth`` distinct items are found."""
    query = np.asarray(vector, dtype=np.float32)
    ef_search = max(1, min(1000, int(settings.SEARCHAPP_HNSW_EF_SEARCH)))
    # A space with images has a row per image besides the text row: ask for more rows than
    # items from the start. A text-only space has one row per item.
    limit = max(depth * (2 if space.embeds_images else 1), 20)
    best: dict[int, tuple[float, int | None]] = {}
    while True:
        with transaction.atomic(using=read_alias()), vector_cursor(read_connection()) as cursor:
            # set_config(..., true) is SET LOCAL with the values as parameters.
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), "
                "set_config('hnsw.iterative_scan', %s, true), "
                "set_config('hnsw.max_scan_tuples', %s, true)",
                [
                    str(ef_search),
                    settings.SEARCHAPP_HNSW_ITERATIVE_SCAN,
                    str(int(settings.SEARCHAPP_HNSW_MAX_SCAN_TUPLES)),
                ],
            )
            sql, params = space_nearest_sql(
                space=space, item_filter=item_filter, vector=query, limit=limit, exact=exact
            )
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        best = {}
        for item_id, image_id, distance in rows:
            if item_id not in best or distance < best[item_id][0]:
                best[item_id] = (float(distance), image_id)
        if len(best) >= depth or len(rows) < limit or limit >= 50 * depth:
            break
        limit *= 4
    ranked = sorted(best.items(), key=lambda entry: (entry[1][0], entry[0]))[:depth]
    return [
        Neighbour(item_id=item_id, similarity=1.0 - distance, image_id=image_id)
        for item_id, (distance, image_id) in ranked
    ]


# Measured with the benchmark on 2 cores (docs/benchmarks.md): an exact scan costs about
# 4 us per item the filter keeps; a filtered HNSW scan about 18 us per index tuple it visits,
# and it visits about depth / selectivity of them. So exact wins while
# kept^2 < EXACT_SCAN_COST_RATIO * depth * items.
EXACT_SCAN_COST_RATIO = 4.5


def exact_search_pays(*, item_filter: ItemFilter, depth: int) -> bool:
    """Whether the filter leaves so few items that computing every distance is cheaper than
    an HNSW scan that must skip the rest (and exact besides). Item counts are the planner's
    estimates, which cost no scan; never more than SEARCHAPP_EXACT_SEARCH_MAX_ITEMS."""
    limit = int(settings.SEARCHAPP_EXACT_SEARCH_MAX_ITEMS)
    if limit <= 0 or not item_filter.narrows:
        return False
    kept = _estimated_items(item_filter)
    if kept > limit:
        return False
    everything = _estimated_items(ItemFilter(include_inactive=item_filter.include_inactive))
    return kept * kept <= EXACT_SCAN_COST_RATIO * depth * max(everything, 1.0)


def _estimated_items(item_filter: ItemFilter) -> float:
    where, params = item_filter.where_sql(alias="i")
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {Item._meta.db_table} i WHERE {where}",  # noqa: S608
            params,
        )
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])
