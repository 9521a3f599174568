"""The retrieve stage: one lexical list and one vector list per active space, each a
`RankedList` of items (one entry per item) under the query's filter."""

from __future__ import annotations

import logging

from django.conf import settings

from catalog.filters import ItemFilter
from embeddings.index import exact_search_pays, space_nearest
from embeddings.models import EmbeddingSpace
from embeddings.providers.base import ImagePart, ProviderError
from embeddings.query import space_query_vector
from search.fuse import NORMALISE_DEPTH
from search.lexical import bm25_list, trigram_list
from search.query import SearchQuery
from search.types import ListKind, Matched, Ranked, RankedList, Skipped

logger = logging.getLogger(__name__)


def list_depth(query: SearchQuery) -> int:
    """How many items each ranked list contributes to this query's page: the results up to
    its end times the over-fetch (fusion lifts items from below the page of one list), at
    least convex fusion's scale, at most the search depth."""
    wanted = query.page * query.k * int(settings.SEARCHAPP_SEARCH_OVERFETCH)
    return min(int(settings.SEARCHAPP_SEARCH_DEPTH), max(wanted, NORMALISE_DEPTH))


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def vector_lists(
    query: SearchQuery, depth: int, item_filter: ItemFilter
) -> tuple[list[RankedList], list[Skipped]]:
    """One list per active space that can embed a positive part of the query. A space whose
    provider fails is skipped with the reason; the others still answer."""
    lists: list[RankedList] = []
    skipped: list[Skipped] = []
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
                text=query.semantic_text or query.text,
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


def lexical_lists(query: SearchQuery, depth: int, item_filter: ItemFilter) -> list[RankedList]:
    """BM25 over the items' documents, and the fuzzy title list for misspellings; both also
    match the query's expansions (synonyms)."""
    negative, expansions = query.negative_text, query.expansions
    return [
        bm25_list(query.text, item_filter, depth, negative_text=negative, expansions=expansions),
        trigram_list(query.text, item_filter, depth, negative_text=negative, expansions=expansions),
    ]
