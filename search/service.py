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

from django.conf import settings

from catalog.filters import ItemFilter
from catalog.models import Item
from search.facets import facets_count
from search.fuse import FusionProfile, lists_fuse, unread_bounds
from search.hydrate import page_hydrate
from search.lexical import did_you_mean, identifier_list
from search.post import (
    boosts_apply,
    entries_sort,
    filtered_keys,
    hidden_removed,
    page_of,
    pins_place,
    relevant_set,
    score_floor,
    with_pins,
)
from search.profiles import profile_active
from search.query import SearchQuery, UnknownItem
from search.retrieve import lexical_lists, list_depth, vector_lists
from search.rewrite import CurationSet, query_rewrite
from search.types import (
    Curation,
    Fused,
    ListKind,
    RankedList,
    SearchMode,
    SearchResults,
    Skipped,
)

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


def query_retrieve(
    query: SearchQuery, item_filter: ItemFilter | None = None, depth: int | None = None
) -> Retrieval:
    """Every list of the query under ``item_filter`` (default: the query's own), each
    ``depth`` deep (default: what the page needs)."""
    item_filter = item_filter if item_filter is not None else query.candidates_filter
    depth = depth or list_depth(query)
    identifiers = None
    if query.text:
        identifiers, whole = identifier_list(query.text, item_filter)
        if whole:
            return Retrieval([], identifiers, [], query.mode, only_identifiers=True)
    lists: list[RankedList] = []
    skipped: list[Skipped] = []
    mode = query.mode
    if mode in (SearchMode.SEMANTIC, SearchMode.HYBRID):
        semantic, skipped = vector_lists(query, depth, item_filter)
        lists.extend(semantic)
        if not semantic and query.text:
            mode = SearchMode.LEXICAL
            skipped.append(Skipped("semantic", f"{NO_SPACE}; answered by full-text search"))
        elif not semantic:
            skipped.append(Skipped("semantic", NO_SPACE))
    if query.text and (mode == SearchMode.LEXICAL or query.mode == SearchMode.HYBRID):
        lists.extend(lexical_lists(query, depth, item_filter))
    return Retrieval(lists, identifiers, skipped, mode)


def cutoff_ratio(query: SearchQuery, retrieval: Retrieval) -> float | None:
    """The share of the best score the relevant set keeps, or None (every result): lexical
    results keep their natural set; one space alone is cut on cosine similarity."""
    semantic = [r for r in retrieval.lists if r.kind == ListKind.SEMANTIC and r.entries]
    if query.cutoff == 0 or not semantic:
        return None
    if query.cutoff is not None:
        return query.cutoff
    fused_alone = len([r for r in retrieval.lists if r.entries]) == 1
    configured = (
        settings.SEARCHAPP_CUTOFF_SIMILARITY_RATIO
        if fused_alone
        else settings.SEARCHAPP_CUTOFF_RATIO
    )
    return float(configured) or None  # 0 configures no cutoff


@dataclasses.dataclass
class Ranking:
    """The post-processed ranking: every result in order (the page is cut from it), the
    relevant set the facets count, what was retrieved and how deep each list was read."""

    entries: list[Fused]
    relevant: list[Fused]
    retrieval: Retrieval
    cutoff: float | None
    depth: int


@dataclasses.dataclass
class _Relevant:
    retrieval: Retrieval
    scored: list[Fused]  # the lists fused, before the floor, boosts and hidden items
    fused: list[Fused]  # after them
    ratio: float | None
    relevant: list[Fused]


def _relevant(
    query: SearchQuery,
    profile: FusionProfile,
    curation: Curation,
    item_filter: ItemFilter,
    depth: int,
) -> _Relevant:
    retrieval = query_retrieve(query, item_filter, depth)
    scored = lists_fuse(retrieval.lists, profile)
    # The score floor, the rules' boosts and hidden items.
    fused = score_floor(scored, _floor(query, profile))
    fused = hidden_removed(boosts_apply(fused, curation.boosts), curation.hide)
    ratio = cutoff_ratio(query, retrieval)
    relevant = with_pins(relevant_set(fused, ratio) if ratio else fused, retrieval.identifiers)
    return _Relevant(retrieval, scored, fused, ratio, relevant)


def relevant_complete(
    found: _Relevant, query: SearchQuery, profile: FusionProfile, curation: Curation, depth: int
) -> bool:
    """Whether reading the lists deeper than ``depth`` could not change the relevant set:
    what unread entries could add to a score (search.fuse.unread_bounds, times the strongest
    boost) leaves every item outside the set, seen or not, under the set's threshold."""
    bounds = unread_bounds(found.retrieval.lists, profile, depth)
    if all(bound <= 0 for bound in bounds.values()):
        return True
    share = found.ratio or _floor(query, profile)
    if not share or not found.fused or found.fused[0].score <= 0:
        return False
    listed = {r.name: {e.item_id for e in r.entries} for r in found.retrieval.lists}
    inside = {entry.item_id for entry in found.relevant}
    best_outside = sum(bounds.values())  # an item in none of the lists
    for entry in found.scored:
        if entry.item_id not in inside:
            gain = sum(b for name, b in bounds.items() if entry.item_id not in listed[name])
            best_outside = max(best_outside, entry.score + gain)
    strongest = max([1.0, *(boost.factor for boost in curation.boosts)])
    return best_outside * strongest < found.fused[0].score * share


def query_rank(
    query: SearchQuery, profile: FusionProfile, curation: Curation | None = None
) -> Ranking:
    """Retrieve, fuse and post-process. Each list is read as deep as the page needs; where
    that could hide a relevant item (`relevant_complete`), again deep enough to hold every
    relevant item (lexical results: every match). The relevant set is retrieved without the
    facet filters, then the filters choose from it, so that counts, facets and sorting all
    speak of the same set. Where the relevant set could not hold every match (a cutoff that
    cut nothing, lists full to their depth) and filters narrow it, the filtered lists answer
    instead. The fired rules' ``curation`` boosts and hides before the cutoff and pins after
    sorting."""
    curation = curation or Curation()
    lexical = query.mode == SearchMode.LEXICAL
    depth = list_depth(query)
    deep = max(
        depth, settings.SEARCHAPP_SEARCH_DEPTH if lexical else settings.SEARCHAPP_RELEVANT_DEPTH
    )
    # Without a cutoff or a floor every match is a result: only a deep read can count them.
    cut = (not lexical and query.cutoff != 0) or bool(_floor(query, profile))
    depth = depth if cut else deep
    found = _relevant(query, profile, curation, query.relevance_filter, depth)
    if deep > depth and not relevant_complete(found, query, profile, curation, depth):
        depth = deep
        found = _relevant(query, profile, curation, query.relevance_filter, depth)
    retrieval, ratio, relevant = found.retrieval, found.ratio, found.relevant
    keys = filtered_keys([entry.item_id for entry in relevant], query.candidates_filter)
    entries = [entry for entry in relevant if entry.item_id in keys]
    full = any(len(ranked.entries) >= depth for ranked in retrieval.lists)
    narrows = query.candidates_filter != query.relevance_filter
    if narrows and full and len(relevant) >= len(found.fused) and len(entries) < depth:
        found = _relevant(query, profile, curation, query.candidates_filter, depth)
        retrieval, entries = found.retrieval, found.relevant
        keys = filtered_keys([entry.item_id for entry in entries], query.candidates_filter)
        entries = [entry for entry in entries if entry.item_id in keys]
    relevant = hidden_removed(relevant, curation.hide)
    entries = entries_sort(hidden_removed(entries, curation.hide), keys, query.sort)
    ranked = pins_place(entries, curation.pins, curation.hide)
    return Ranking(ranked, relevant, retrieval, ratio, depth)


def _floor(query: SearchQuery, profile: FusionProfile) -> float | None:
    return query.min_score_ratio if query.min_score_ratio is not None else profile.min_score_ratio


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


def item_search(
    *,
    query: SearchQuery,
    profile: FusionProfile | None = None,
    curation: CurationSet | None = None,
) -> SearchResults:
    """Search; ``profile`` overrides the active search profile (evaluation and tuning),
    ``curation`` the active rules and synonyms (a rule's preview, benchmarks)."""
    started = time.perf_counter()
    problem = query.problem()
    if problem is not None:
        raise ValueError(problem[1])
    _check_item(query)
    rewritten = query_rewrite(query, curation)
    query = rewritten.query
    profile = profile or profile_active()
    ranking = query_rank(query, profile, rewritten.curation)
    retrieval = ranking.retrieval
    page = page_of(ranking.entries, page=query.page, k=query.k)
    facets = None
    if query.facets:
        within = [entry.item_id for entry in ranking.relevant]
        facets = facets_count(item_filter=query.candidates_filter, within=within)
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
        facets=facets,
        sort=query.sort,
        cutoff=ranking.cutoff,
        rules=rewritten.curation.rules,
    )
