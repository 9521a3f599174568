"""TEMPORARY: the vector side, until embeddings.index / embeddings.query land (issue 11)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from catalog.filters import ItemFilter
from catalog.models import Item
from embeddings.models import Embedding, EmbeddingSpace
from embeddings.providers.base import (
    EmbeddingInput,
    ImagePart,
    InputType,
    Part,
    TextPart,
    Vectors,
    fuse,
    l2_normalise,
)
from embeddings.providers.registry import providers
from embeddings.services import provider_usage_record


def _int_setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@dataclass(frozen=True)
class Neighbour:
    item_id: int
    similarity: float
    image_id: int | None


class _QueryVectorCache:
    """Text query vectors per model, in process: repeated queries skip the model."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str, str], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Vectors | None:
        with self._lock:
            vector = self._entries.get(key)
            if vector is not None:
                self._entries.move_to_end(key)
            return vector

    def put(self, key: tuple[str, str, str], vector: Vectors) -> None:
        with self._lock:
            self._entries[key] = vector
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


query_vector_cache = _QueryVectorCache()


def _embed_parts(space: EmbeddingSpace, parts: Sequence[Part]) -> Vectors:
    """Embed each part on its own (query input type); text vectors come from the cache."""
    provider = providers[space.provider_alias]
    vectors: list[Vectors | None] = []
    missing: list[tuple[int, Part]] = []
    for index, part in enumerate(parts):
        cached = None
        if isinstance(part, TextPart):
            cached = query_vector_cache.get((space.provider_alias, space.model_name, part.text))
        vectors.append(cached)
        if cached is None:
            missing.append((index, part))
    if missing:
        inputs: list[EmbeddingInput] = [(part,) for _, part in missing]
        result = provider.embed(inputs, input_type=InputType.QUERY)
        provider_usage_record(alias=space.provider_alias, usage=result.usage)
        for (index, part), vector in zip(missing, result.vectors, strict=True):
            vectors[index] = vector
            if isinstance(part, TextPart):
                query_vector_cache.put((space.provider_alias, space.model_name, part.text), vector)
    return np.stack([v for v in vectors if v is not None])


def _item_vector(space: EmbeddingSpace, item_id: int) -> Vectors | None:
    """ "More like this": the item's own vectors in the space (text and images), averaged."""
    rows = Embedding.objects.filter(space=space, item_id=item_id).values_list("vector", flat=True)
    stored = [np.asarray(vector, dtype=np.float32) for vector in rows]
    if not stored:
        return None
    return l2_normalise(np.mean(l2_normalise(np.stack(stored)), axis=0))[0]


def space_query_vector(
    *,
    space: EmbeddingSpace,
    text: str = "",
    text_weight: float = 1.0,
    image: ImagePart | None = None,
    image_weight: float = 1.0,
    negative_text: str = "",
    negative_weight: float = 0.5,
    item_id: int | None = None,
    item_weight: float = 1.0,
) -> Vectors | None:
    capabilities = providers[space.provider_alias].capabilities
    parts: list[Part] = []
    weights: list[float] = []
    if text and capabilities.text and text_weight > 0:
        parts.append(TextPart(text))
        weights.append(text_weight)
    if image is not None and capabilities.image and image_weight > 0:
        parts.append(image)
        weights.append(image_weight)
    item_vector = _item_vector(space, item_id) if item_id is not None else None
    if not parts and item_vector is None:
        return None
    rows: list[Vectors] = []
    if len(parts) == 2 and capabilities.interleaved and weights[0] == weights[1]:
        result = providers[space.provider_alias].embed([tuple(parts)], input_type=InputType.QUERY)
        provider_usage_record(alias=space.provider_alias, usage=result.usage)
        rows.append(result.vectors)
        parts, weights = [], [1.0]
    if negative_text and capabilities.text and negative_weight > 0:
        parts.append(TextPart(negative_text))
        weights.append(-negative_weight)
    if parts:
        rows.append(_embed_parts(space, parts))
    if item_vector is not None and item_weight > 0:
        rows.append(item_vector[None, :])
        weights.append(item_weight)
    return fuse(np.concatenate(rows), weights)


# --- ranked lists -----------------------------------------------------------------------------------


def _vector_literal(vector: Vectors) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


def vector_search_sql(
    space: EmbeddingSpace,
    item_filter: ItemFilter,
    vector: str,
    limit: int,
    *,
    exact: bool = False,
) -> tuple[str, list[Any]]:
    """The nearest sources of a space under the filters: ordered by the space's HNSW index
    expression, or (``exact``) by computing the distance of every row the filters leave,
    behind a fence that keeps the planner off the index. Literal ints only are formatted
    in; everything else is a parameter."""
    dims = int(space.dimensions)
    where, params = item_filter.where_sql("i")
    distance = f"e.vector::halfvec({dims}) <=> %s::halfvec({dims})"
    rows = (
        f"FROM {Embedding._meta.db_table} e JOIN {Item._meta.db_table} i ON i.id = e.item_id "
        f"WHERE e.space_id = {int(space.pk)} AND {where}"
    )
    if exact:
        sql = (
            f"SELECT item_id, image_id, distance FROM (SELECT e.item_id, e.image_id, "  # noqa: S608
            f"({distance}) AS distance {rows} OFFSET 0) fenced ORDER BY distance LIMIT %s"
        )
        return sql, [vector, *params, limit]
    sql = (
        f"SELECT e.item_id, e.image_id, ({distance}) AS distance {rows} "  # noqa: S608
        f"ORDER BY {distance} LIMIT %s"
    )
    return sql, [vector, *params, vector, limit]


# Measured with the benchmark on 2 cores (docs/benchmarks.md): an exact scan costs about
# 4 us per item the filters keep; a filtered HNSW scan about 18 us per index tuple it visits,
# and it visits about depth / selectivity of them. So exact wins while
# kept^2 < EXACT_SCAN_COST_RATIO * depth * items.
EXACT_SCAN_COST_RATIO = 4.5


def exact_search_pays(*, item_filter: ItemFilter, depth: int) -> bool:
    """Whether the filters leave so few items that computing every distance is cheaper than
    an HNSW scan that must skip the rest (and exact besides). Item counts are the planner's
    estimates, which cost no scan; never more than SEARCHAPP_EXACT_SEARCH_MAX_ITEMS."""
    limit = _int_setting("SEARCHAPP_EXACT_SEARCH_MAX_ITEMS", 20000)
    if limit <= 0 or not item_filter.narrows:
        return False
    kept = _estimated_items(item_filter)
    if kept > limit:
        return False
    everything = _estimated_items(ItemFilter(include_inactive=item_filter.include_inactive))
    return kept * kept <= EXACT_SCAN_COST_RATIO * depth * max(everything, 1.0)


def _estimated_items(item_filter: ItemFilter) -> float:
    where, params = item_filter.where_sql("i")
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {Item._meta.db_table} i WHERE {where}",  # noqa: S608
            params,
        )
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def space_nearest(
    *, space: EmbeddingSpace, vector: Vectors, item_filter: ItemFilter, depth: int, exact: bool
) -> list[Neighbour]:
    """Nearest items (collapsed: one row per item, its best source), up to ``depth``.
    ``exact`` (exact_search_pays, decided once per search) answers selective filters by an
    exact scan; otherwise iterative index scans keep filtered queries from coming back
    short. The row limit grows when items have many images until ``depth`` distinct items
    are found."""
    literal = _vector_literal(vector)
    ef_search = max(1, min(1000, _int_setting("SEARCHAPP_HNSW_EF_SEARCH", 100)))
    max_scan = _int_setting("SEARCHAPP_HNSW_MAX_SCAN_TUPLES", 20000)
    iterative_scan = getattr(settings, "SEARCHAPP_HNSW_ITERATIVE_SCAN", "relaxed_order")
    if iterative_scan not in {"relaxed_order", "strict_order", "off"}:
        iterative_scan = "relaxed_order"
    # A space with images has a row per image besides the text row: ask for more rows than
    # items from the start. A text-only space has one row per item.
    limit = max(depth * (2 if space.embeds_images else 1), 20)
    best: dict[int, tuple[float, int | None]] = {}
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
            cursor.execute(f"SET LOCAL hnsw.iterative_scan = {iterative_scan}")
            cursor.execute(f"SET LOCAL hnsw.max_scan_tuples = {int(max_scan)}")
            sql, params = vector_search_sql(space, item_filter, literal, limit, exact=exact)
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
