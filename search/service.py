"""The one search service: every interface (browser, API, CLI) calls `item_search`.

Modes:
- semantic: vector search in Postgres over every active space that can embed the query
  (HNSW index per space, iterative index scans so filters never silently cut the list);
- lexical: BM25 over the items' documents plus fuzzy titles (misspellings);
- hybrid (default): the semantic lists and the lexical lists fused by the active profile.
An identifier in the query (external id, sku, isbn, ...) puts its item first in every mode;
a query that is only an identifier answers with just its items. If a space's provider fails
or its model is missing, the search answers from what is left and says what it skipped and
why; with nothing semantic left it falls back to lexical.
"""

from __future__ import annotations

import dataclasses
import time

from catalog.models import Item
from search.fuse import FusionProfile, lists_fuse
from search.hydrate import page_hydrate
from search.lexical import did_you_mean, identifier_list
from search.post import results_page
from search.profiles import profile_active
from search.query import SearchQuery, UnknownItem
from search.retrieve import lexical_lists, list_depth, vector_lists
from search.rewrite import query_rewrite
from search.types import ListKind, RankedList, SearchMode, SearchResults, Skipped

NO_SPACE = "no active embedding space could embed this query"
# Fewer lexical matches than this and a fuzzy title match: suggest a spelling.
FOUND_LITTLE = 3


def _check_item(query: SearchQuery) -> None:
    """ "More like this" of an item the caller may not see is the same answer as of an item
    that does not exist: neither says which ids exist, neither leaks an inactive item."""
    if query.item_id is None:
        return
    items = Item.objects.filter(pk=query.item_id)
    if not query.item_filter.include_inactive:
        items = items.filter(is_active=True)
    if not items.exists():
        raise UnknownItem(query.item_id)


@dataclasses.dataclass
class Retrieval:
    """What the retrieve stage found for a query: the lists to fuse, the identifier list to
    pin, what was skipped, and the mode that answers."""

    lists: list[RankedList]
    identifiers: RankedList | None
    skipped: list[Skipped]
    mode: SearchMode
    only_identifiers: bool = False


def query_retrieve(query: SearchQuery) -> Retrieval:
    depth = list_depth(query)
    identifiers = None
    if query.text:
        identifiers, whole = identifier_list(query.text, query.candidates_filter)
        if whole:
            return Retrieval([], identifiers, [], query.mode, only_identifiers=True)
    lists: list[RankedList] = []
    skipped: list[Skipped] = []
    mode = query.mode
    if mode in (SearchMode.SEMANTIC, SearchMode.HYBRID):
        semantic, skipped = vector_lists(query, depth)
        lists.extend(semantic)
        if not semantic and query.text:
            mode = SearchMode.LEXICAL
            skipped.append(Skipped("semantic", f"{NO_SPACE}; answered by full-text search"))
        elif not semantic:
            skipped.append(Skipped("semantic", NO_SPACE))
    if query.text and (mode == SearchMode.LEXICAL or query.mode == SearchMode.HYBRID):
        lists.extend(lexical_lists(query, depth))
    return Retrieval(lists, identifiers, skipped, mode)


def _suggestion(query: SearchQuery, retrieval: Retrieval) -> str | None:
    named = {ranked.name: ranked for ranked in retrieval.lists}
    lexical, fuzzy = named.get("lexical"), named.get("trigram")
    if lexical is None or fuzzy is None or len(lexical.entries) >= FOUND_LITTLE:
        return None
    if not fuzzy.entries:
        return None
    top = [entry.item_id for entry in fuzzy.entries[:5]]
    titles = list(Item.objects.filter(pk__in=top).values_list("title", flat=True))
    return did_you_mean(query.text, titles)


def item_search(*, query: SearchQuery, profile: FusionProfile | None = None) -> SearchResults:
    """Search; ``profile`` overrides the active search profile (evaluation and tuning)."""
    started = time.perf_counter()
    problem = query.problem()
    if problem is not None:
        raise ValueError(problem[1])
    _check_item(query)
    query = query_rewrite(query)
    profile = profile or profile_active()
    retrieval = query_retrieve(query)
    page = results_page(query, profile, lists_fuse(retrieval.lists, profile),
                        pinned=retrieval.identifiers)  # fmt: skip
    return SearchResults(
        hits=page_hydrate(page),
        mode=retrieval.mode,
        skipped=retrieval.skipped,
        total=page.total,
        page=query.page,
        k=query.k,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        spaces=[r.name for r in retrieval.lists if r.kind == ListKind.SEMANTIC],
        did_you_mean=_suggestion(query, retrieval),
        profile=profile.label,
    )
