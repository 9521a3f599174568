"""The retrieve stage: one lexical list and one vector list per active space, each a
`RankedList` of items (one entry per item) under the query's filter."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.postgres.search import SearchQuery as TextSearchQuery
from django.contrib.postgres.search import SearchRank
from django.db.models import F

from catalog.models import Item
from embeddings.models import EmbeddingSpace
from embeddings.providers.base import ImagePart, ProviderError
from search._vectors import exact_search_pays, space_nearest, space_query_vector
from search.query import SearchQuery
from search.types import ListKind, Matched, Ranked, RankedList, Skipped

logger = logging.getLogger(__name__)


def list_depth(query: SearchQuery) -> int:
    """How many items each ranked list contributes to this query: enough for the page
    asked for, and at least 100 so that fusion sees more than the first page of each."""
    return min(settings.SEARCHAPP_SEARCH_DEPTH, max(query.page * query.k + 1, 100))


@dataclass
class Retrieved:
    semantic: list[RankedList] = field(default_factory=list)
    lexical: RankedList | None = None
    skipped: list[Skipped] = field(default_factory=list)


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def vector_lists(query: SearchQuery, depth: int) -> tuple[list[RankedList], list[Skipped]]:
    """One list per active space that can embed a positive part of the query. A space whose
    provider fails is skipped with the reason; the others still answer."""
    lists: list[RankedList] = []
    skipped: list[Skipped] = []
    item_filter = query.candidates_filter
    exact = exact_search_pays(item_filter=item_filter, depth=depth)
    image = (
        None
        if query.image is None
        else ImagePart(data=query.image.data, content_type=query.image.content_type)
    )
    spaces = EmbeddingSpace.objects.filter(status=EmbeddingSpace.Status.ACTIVE).order_by("id")
    for space in spaces:
        try:
            vector = space_query_vector(
                space=space,
                text=query.text,
                text_weight=query.text_weight,
                image=image,
                image_weight=query.image_weight,
                negative_text=query.negative_text,
                negative_weight=query.negative_weight,
                item_id=query.item_id,
                item_weight=query.item_weight,
            )
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
        neighbours = space_nearest(
            space=space, vector=vector, item_filter=item_filter, depth=depth, exact=exact
        )
        entries = [
            Ranked(
                item_id=n.item_id,
                score=n.similarity,
                matched=Matched.TEXT if n.image_id is None else Matched.IMAGE,
            )
            for n in neighbours
        ]
        lists.append(RankedList(name=space.name, kind=ListKind.SEMANTIC, entries=entries))
    return lists, skipped


_WORD = re.compile(r"\w+")


def _any_word(text: str) -> TextSearchQuery | None:
    """Items matching any of the words, ranked by how well they match (more words, in the
    title, rank higher) — the recall a catalog search box needs; "red mug" must not miss a
    "mug" whose colour is only in the picture. Stop words are dropped by the configuration."""
    words = _WORD.findall(text.lower())
    if not words:
        return None
    return TextSearchQuery(" | ".join(words), search_type="raw", config="english")


def lexical_list(query: SearchQuery, depth: int) -> RankedList:
    """Postgres full-text search over the weighted title > category > description column;
    negative text excludes the items that match it."""
    terms = _any_word(query.text)
    if terms is None:
        return RankedList(name="lexical", kind=ListKind.LEXICAL, entries=[])
    queryset = query.candidates_filter.apply(Item.objects.all()).filter(search_vector=terms)
    negative = _any_word(query.negative_text)
    if negative is not None:
        queryset = queryset.exclude(search_vector=negative)
    rows = (
        queryset.annotate(rank=SearchRank(F("search_vector"), terms))
        .order_by("-rank", "id")
        .values_list("id", "rank")[:depth]
    )
    entries = [Ranked(item_id=item_id, score=float(rank)) for item_id, rank in rows]
    return RankedList(name="lexical", kind=ListKind.LEXICAL, entries=entries)
