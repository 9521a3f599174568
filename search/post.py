"""The post-process stage: the fused ranking in, the page asked for out: identifier matches
pinned first, the score floor, paging. Rule pins, facets and the relevance cutoff plug in
here."""

from __future__ import annotations

from search.fuse import FusionProfile
from search.query import SearchQuery
from search.types import Fused, Matched, Page, RankedList


def results_page(
    query: SearchQuery,
    profile: FusionProfile,
    fused: list[Fused],
    *,
    pinned: RankedList | None = None,
) -> Page:
    ratio = query.min_score_ratio if query.min_score_ratio is not None else profile.min_score_ratio
    if ratio and fused:
        floor = fused[0].score * ratio
        fused = [entry for entry in fused if entry.score >= floor]
    if pinned is not None and pinned.entries:
        first = {entry.item_id: entry for entry in fused}
        top = [
            first.get(entry.item_id)
            or Fused(
                item_id=entry.item_id, score=entry.score, matched=Matched.TEXT, similarity=None
            )  # fmt: skip
            for entry in pinned.entries
        ]
        ids = {entry.item_id for entry in top}
        fused = top + [entry for entry in fused if entry.item_id not in ids]
    start = (query.page - 1) * query.k
    return Page(entries=fused[start : start + query.k], total=len(fused))
