"""The one search service: every interface (browser, API, CLI) calls `item_search`.

A query is made of parts (text, an image, an item for "more like this", negative text),
each with a weight. Modes:
- semantic: vector search in Postgres over every active space that can embed the query
  (HNSW index per space, iterative index scans so filters never silently cut the list);
  several spaces are fused by reciprocal rank fusion;
- lexical: Postgres full-text search over title, category and description;
- hybrid (default): the semantic lists and the lexical list fused by reciprocal rank fusion.
Results collapse to one row per item (its best matching source). If a space's provider
fails or its model is missing, the search answers from what is left and says what it
skipped and why; with nothing semantic left it falls back to lexical.
"""

from __future__ import annotations

import enum
import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, Prefetch, QuerySet

from catalog.images import ValidatedImage
from catalog.models import Item, ItemImage
from embeddings.models import Embedding, EmbeddingSpace
from embeddings.providers.base import (
    EmbeddingInput,
    ImagePart,
    InputType,
    Part,
    ProviderError,
    TextPart,
    Vectors,
    fuse,
    l2_normalise,
)
from embeddings.providers.registry import providers
from embeddings.space_provider import provider_usage_record

logger = logging.getLogger(__name__)


class SearchMode(enum.StrEnum):
    HYBRID = "hybrid"
    SEMANTIC = "semantic"
    LEXICAL = "lexical"


@dataclass(frozen=True)
class ItemFilter:
    categories: tuple[str, ...] = ()
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    attributes: tuple[tuple[str, str], ...] = ()  # attribute equality, e.g. (("color", "red"),)
    include_inactive: bool = False


@dataclass(frozen=True)
class ItemQuery:
    text: str = ""
    text_weight: float = 1.0
    negative_text: str = ""
    negative_weight: float = 0.5  # how hard negative text pushes results away
    image: ValidatedImage | None = None
    image_weight: float = 1.0
    item_id: int | None = None  # "more like this"
    item_weight: float = 1.0
    mode: SearchMode = SearchMode.HYBRID
    filters: ItemFilter = field(default_factory=ItemFilter)
    k: int = 24  # results per page
    page: int = 1
    min_score_ratio: float | None = None  # hide results scoring below this share of the best

    @property
    def has_semantic_parts(self) -> bool:
        return bool(self.text.strip() or self.image is not None or self.item_id is not None)


@dataclass(frozen=True)
class SearchHit:
    item: Item
    score: float
    matched: str  # "text" or "image": the source that matched best
    similarity: float | None  # best cosine similarity over the spaces, when semantic


@dataclass(frozen=True)
class Skipped:
    part: str  # a space name, or "lexical"
    reason: str


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    mode: SearchMode  # the mode that answered (lexical after a fallback)
    skipped: list[Skipped]
    total: int  # ranked results available (up to the search depth), after the score floor
    page: int
    k: int
    took_ms: float
    spaces: list[str]  # the spaces that answered

    @property
    def has_next(self) -> bool:
        return self.page * self.k < self.total


# --- configuration ------------------------------------------------------------------------------


def _int_setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def rrf_k() -> int:
    return _int_setting("SEARCHAPP_RRF_K", 60)


def list_depth(query: ItemQuery) -> int:
    """How many items each ranked list contributes to this query: enough for the page
    asked for, and at least 100 so that fusion sees more than the first page of each."""
    return min(search_depth(), max(query.page * query.k + 1, 100))


def search_depth() -> int:
    """How many items each ranked list may contribute (and so how deep paging goes)."""
    return _int_setting("SEARCHAPP_SEARCH_DEPTH", 1000)


# --- query vectors --------------------------------------------------------------------------------


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


def query_vector(space: EmbeddingSpace, query: ItemQuery) -> Vectors | None:
    """The query as one vector of this space: the weighted sum of the normalised vectors of
    the parts the space can embed (negative text pulls away). None when the space can
    embed no positive part of the query (a text-only space and an image query)."""
    capabilities = providers[space.provider_alias].capabilities
    parts: list[Part] = []
    weights: list[float] = []
    if query.text and capabilities.text and query.text_weight > 0:
        parts.append(TextPart(query.text))
        weights.append(query.text_weight)
    if query.image is not None and capabilities.image and query.image_weight > 0:
        parts.append(ImagePart(data=query.image.data, content_type=query.image.content_type))
        weights.append(query.image_weight)
    item_vector = _item_vector(space, query.item_id) if query.item_id is not None else None
    if not parts and item_vector is None:
        return None
    rows: list[Vectors] = []
    if len(parts) == 2 and capabilities.interleaved and weights[0] == weights[1]:
        # Text and image as one input: the model reads them together (Voyage, Cohere).
        result = providers[space.provider_alias].embed([tuple(parts)], input_type=InputType.QUERY)
        provider_usage_record(alias=space.provider_alias, usage=result.usage)
        rows.append(result.vectors)
        parts, weights = [], [1.0]
    if query.negative_text and capabilities.text and query.negative_weight > 0:
        parts.append(TextPart(query.negative_text))
        weights.append(-query.negative_weight)
    if parts:
        rows.append(_embed_parts(space, parts))
    if item_vector is not None and query.item_weight > 0:
        rows.append(item_vector[None, :])
        weights.append(query.item_weight)
    return fuse(np.concatenate(rows), weights)


# --- ranked lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    item_id: int
    score: float  # the list's own score: cosine similarity, or full-text rank
    matched: str


def _filter_sql(filters: ItemFilter, exclude_item: int | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if not filters.include_inactive:
        clauses.append("i.is_active")
    if filters.categories:
        clauses.append("i.category = ANY(%s)")
        params.append(list(filters.categories))
    if filters.price_min is not None:
        clauses.append("i.price >= %s")
        params.append(filters.price_min)
    if filters.price_max is not None:
        clauses.append("i.price <= %s")
        params.append(filters.price_max)
    for key, value in filters.attributes:
        clauses.append("i.attributes @> %s::jsonb")
        params.append(_json({key: value}))
    if exclude_item is not None:
        clauses.append("i.id <> %s")
        params.append(exclude_item)
    return "".join(f" AND {clause}" for clause in clauses), params


def _json(value: Any) -> str:
    return json.dumps(value)


def _vector_literal(vector: Vectors) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


def vector_search_sql(
    space: EmbeddingSpace,
    filters: ItemFilter,
    exclude_item: int | None,
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
    where, params = _filter_sql(filters, exclude_item)
    distance = f"e.vector::halfvec({dims}) <=> %s::halfvec({dims})"
    rows = (
        f"FROM {Embedding._meta.db_table} e JOIN {Item._meta.db_table} i ON i.id = e.item_id "
        f"WHERE e.space_id = {int(space.pk)}{where}"
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


def exact_search_pays(filters: ItemFilter, exclude_item: int | None, depth: int) -> bool:
    """Whether the filters leave so few items that computing every distance is cheaper than
    an HNSW scan that must skip the rest (and exact besides). Item counts are the planner's
    estimates, which cost no scan; never more than SEARCHAPP_EXACT_SEARCH_MAX_ITEMS."""
    limit = _int_setting("SEARCHAPP_EXACT_SEARCH_MAX_ITEMS", 20000)
    if limit <= 0 or not (
        filters.categories
        or filters.price_min is not None
        or filters.price_max is not None
        or filters.attributes
    ):
        return False
    kept = _estimated_items(filters, exclude_item)
    if kept > limit:
        return False
    everything = _estimated_items(ItemFilter(include_inactive=filters.include_inactive), None)
    return kept * kept <= EXACT_SCAN_COST_RATIO * depth * max(everything, 1.0)


def _estimated_items(filters: ItemFilter, exclude_item: int | None) -> float:
    where, params = _filter_sql(filters, exclude_item)
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {Item._meta.db_table} i WHERE true{where}",  # noqa: S608
            params,
        )
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def vector_candidates(
    space: EmbeddingSpace, vector: Vectors, query: ItemQuery, depth: int, *, exact: bool
) -> list[Ranked]:
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
            sql, params = vector_search_sql(
                space, query.filters, query.item_id, literal, limit, exact=exact
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
        Ranked(
            item_id=item_id, score=1.0 - distance, matched="text" if image_id is None else "image"
        )
        for item_id, (distance, image_id) in ranked
    ]


def _item_queryset(filters: ItemFilter, exclude_item: int | None) -> QuerySet[Item]:
    queryset = Item.objects.all()
    if not filters.include_inactive:
        queryset = queryset.filter(is_active=True)
    if filters.categories:
        queryset = queryset.filter(category__in=filters.categories)
    if filters.price_min is not None:
        queryset = queryset.filter(price__gte=filters.price_min)
    if filters.price_max is not None:
        queryset = queryset.filter(price__lte=filters.price_max)
    for key, value in filters.attributes:
        queryset = queryset.filter(attributes__contains={key: value})
    if exclude_item is not None:
        queryset = queryset.exclude(pk=exclude_item)
    return queryset


_WORD = re.compile(r"\w+")


def _any_word(text: str) -> SearchQuery | None:
    """Items matching any of the words, ranked by how well they match (more words, in the
    title, rank higher) — the recall a catalog search box needs; "red mug" must not miss a
    "mug" whose colour is only in the picture. Stop words are dropped by the configuration."""
    words = _WORD.findall(text.lower())
    if not words:
        return None
    return SearchQuery(" | ".join(words), search_type="raw", config="english")


def _lexical_list(query: ItemQuery, depth: int) -> list[Ranked]:
    """Postgres full-text search over the weighted title > category > description column,
    ranked by ts_rank; negative text excludes the items that match it."""
    terms = _any_word(query.text)
    if terms is None:
        return []
    queryset = _item_queryset(query.filters, query.item_id).filter(search_vector=terms)
    negative = _any_word(query.negative_text)
    if negative is not None:
        queryset = queryset.exclude(search_vector=negative)
    rows = (
        queryset.annotate(rank=SearchRank(F("search_vector"), terms))
        .order_by("-rank", "id")
        .values_list("id", "rank")[:depth]
    )
    return [Ranked(item_id=item_id, score=float(rank), matched="text") for item_id, rank in rows]


# --- the service ----------------------------------------------------------------------------------


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def item_search(*, query: ItemQuery) -> SearchResults:
    started = time.perf_counter()
    depth = list_depth(query)
    skipped: list[Skipped] = []
    semantic: list[tuple[str, list[Ranked]]] = []
    wants_semantic = (
        query.mode in (SearchMode.SEMANTIC, SearchMode.HYBRID) and query.has_semantic_parts
    )
    if wants_semantic:
        exact = exact_search_pays(query.filters, query.item_id, depth)
        for space in EmbeddingSpace.objects.filter(status=EmbeddingSpace.Status.ACTIVE).order_by(
            "id"
        ):
            try:
                vector = query_vector(space, query)
            except ProviderError as exc:
                logger.warning("search skipped space %s: %s", space.name, exc)
                skipped.append(Skipped(part=space.name, reason=_reason(exc)))
                continue
            except Exception as exc:  # a broken provider must not take search down with it
                logger.exception("search skipped space %s", space.name)
                skipped.append(Skipped(part=space.name, reason=_reason(exc)))
                continue
            if vector is None:
                continue
            semantic.append(
                (space.name, vector_candidates(space, vector, query, depth, exact=exact))
            )
    mode = query.mode
    if wants_semantic and not semantic:
        if query.text:
            mode = SearchMode.LEXICAL
            skipped.append(Skipped(part="semantic", reason=(
                "no active embedding space could embed this query; answered by full-text search"
            )))  # fmt: skip
        else:
            skipped.append(
                Skipped(part="semantic", reason="no active embedding space could embed this query")
            )
    use_lexical = bool(query.text) and (
        mode == SearchMode.LEXICAL or query.mode == SearchMode.HYBRID
    )
    lexical = _lexical_list(query, depth) if use_lexical else None
    ranked = _fuse([ranked for _, ranked in semantic], lexical)
    if query.min_score_ratio and ranked:
        floor = ranked[0][1] * query.min_score_ratio
        ranked = [entry for entry in ranked if entry[1] >= floor]
    start = (query.page - 1) * query.k
    page = ranked[start : start + query.k]
    items = _items_by_id([item_id for item_id, *_ in page])
    hits = [
        SearchHit(
            item=items[item_id], score=round(score, 6), matched=matched, similarity=similarity
        )
        for item_id, score, matched, similarity in page
        if item_id in items
    ]
    return SearchResults(
        hits=hits,
        mode=mode,
        skipped=skipped,
        total=len(ranked),
        page=query.page,
        k=query.k,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        spaces=[name for name, _ in semantic],
    )


def _fuse(
    semantic: list[list[Ranked]], lexical: list[Ranked] | None
) -> list[tuple[int, float, str, float | None]]:
    """One list: its own scores. Several: reciprocal rank fusion (sum of 1/(k + rank)),
    scaled so that 1.0 means first in every list. Ties break on the item id (stable pages).
    An item's `matched` source and `similarity` come from the semantic lists."""
    lists = [ranked for ranked in [*semantic, lexical or []] if ranked]
    similarity: dict[int, float] = {}
    matched: dict[int, tuple[int, str]] = {}
    for ranked in semantic:
        for rank, entry in enumerate(ranked, start=1):
            similarity[entry.item_id] = max(similarity.get(entry.item_id, -math.inf), entry.score)
            if entry.item_id not in matched or rank < matched[entry.item_id][0]:
                matched[entry.item_id] = (rank, entry.matched)
    if len(lists) <= 1:
        return [
            (e.item_id, e.score, e.matched, similarity.get(e.item_id))
            for ranked in lists
            for e in ranked
        ]
    k = rrf_k()
    scores: dict[int, float] = {}
    for ranked in lists:
        for rank, entry in enumerate(ranked, start=1):
            scores[entry.item_id] = scores.get(entry.item_id, 0.0) + 1.0 / (k + rank)
    best_possible = len(lists) / (k + 1)
    order = sorted(scores.items(), key=lambda entry: (-entry[1], entry[0]))
    return [
        (
            item_id,
            score / best_possible,
            matched.get(item_id, (0, "text"))[1],
            similarity.get(item_id),
        )
        for item_id, score in order
    ]


def _items_by_id(item_ids: list[int]) -> dict[int, Item]:
    images = Prefetch("images", queryset=ItemImage.objects.order_by("position", "id"))
    return {
        item.pk: item
        for item in Item.objects.filter(pk__in=item_ids)
        .defer("search_vector")
        .prefetch_related(images)
    }
