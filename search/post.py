"""The post-process stage: the fused ranking in, the page asked for out (after the score
floor). Pins, facets and the relevance cutoff plug in here."""

from __future__ import annotations

from search.query import SearchQuery
from search.types import Fused, Page


def results_page(query: SearchQuery, fused: list[Fused]) -> Page:
    if query.min_score_ratio and fused:
        floor = fused[0].score * query.min_score_ratio
        fused = [entry for entry in fused if entry.score >= floor]
    start = (query.page - 1) * query.k
    return Page(entries=fused[start : start + query.k], total=len(fused))
