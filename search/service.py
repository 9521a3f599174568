"""The one search service: every interface (browser, API, CLI) calls `item_search`.

Modes:
- semantic: vector search in Postgres over every active space that can embed the query
  (HNSW index per space, iterative index scans so filters never silently cut the list);
- lexical: Postgres full-text search over title, category and description;
- hybrid (default): the semantic lists and the lexical list fused.
If a space's provider fails or its model is missing, the search answers from what is left
and says what it skipped and why; with nothing semantic left it falls back to lexical.
"""

from __future__ import annotations

import time

from catalog.models import Item
from search.fuse import lists_fuse
from search.hydrate import page_hydrate
from search.post import results_page
from search.query import SearchQuery, UnknownItem
from search.retrieve import lexical_list, list_depth, vector_lists
from search.rewrite import query_rewrite
from search.types import RankedList, SearchMode, SearchResults, Skipped

NO_SPACE = "no active embedding space could embed this query"


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


def item_search(*, query: SearchQuery) -> SearchResults:
    started = time.perf_counter()
    problem = query.problem()
    if problem is not None:
        raise ValueError(problem[1])
    _check_item(query)
    query = query_rewrite(query)
    depth = list_depth(query)
    lists: list[RankedList] = []
    skipped: list[Skipped] = []
    mode = query.mode
    wants_semantic = mode in (SearchMode.SEMANTIC, SearchMode.HYBRID)
    if wants_semantic:
        semantic, skipped = vector_lists(query, depth)
        lists.extend(semantic)
        if not semantic and query.text:
            mode = SearchMode.LEXICAL
            skipped.append(Skipped("semantic", f"{NO_SPACE}; answered by full-text search"))
        elif not semantic:
            skipped.append(Skipped("semantic", NO_SPACE))
    if query.text and (mode == SearchMode.LEXICAL or query.mode == SearchMode.HYBRID):
        lists.append(lexical_list(query, depth))
    page = results_page(query, lists_fuse(lists))
    return SearchResults(
        hits=page_hydrate(page),
        mode=mode,
        skipped=skipped,
        total=page.total,
        page=query.page,
        k=query.k,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        spaces=[ranked.name for ranked in lists if ranked.kind == "semantic"],
    )
