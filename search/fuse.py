"""The fuse stage: several ranked lists in, one ranking out, as a fusion profile says.

- ``rrf``: weighted reciprocal rank fusion, sum of weight / (k + rank), scaled so that 1.0
  means first in every list at full weight;
- ``convex``: a convex combination of each list's min-max normalised scores (over its
  first `NORMALISE_DEPTH` entries), sum of weight x (score - min) / (max - min) over the
  weights' sum (Bruch, Gai & Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval",
  found it beating RRF once tuned).

One list alone keeps its own scores. A list weighted 0 takes no part. Ties break on the item
id (stable pages). An item's `matched` source and `similarity` come from the vector lists.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from search.types import Fused, ListKind, Matched, RankedList

# Convex fusion's scale: each list's first NORMALISE_DEPTH entries. What lies below scores 0,
# so lists read at least this deep fuse the same however deep they are read: a first page
# reads each list this deep (search.retrieve.list_depth) and its ranking and relevant set are
# those of a deeper read. 40 = 10 results x 4; the books judged set scores the same nDCG@10
# (0.742) with 40 as with 100 (docs/relevance.md).
NORMALISE_DEPTH = 40


class FusionMethod(enum.StrEnum):
    RRF = "rrf"
    CONVEX = "convex"


@dataclass(frozen=True)
class FusionProfile:
    """How to fuse: a weight per list (by name: "lexical", "trigram", or a space's name;
    lists not named weigh `default_weight`), the method, RRF's k, and the score floor."""

    method: FusionMethod = FusionMethod.RRF
    weights: Mapping[str, float] = field(default_factory=dict)
    default_weight: float = 1.0
    rrf_k: int = 60
    min_score_ratio: float | None = None
    label: str = "default"

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, self.default_weight))


def _semantic_evidence(
    lists: Sequence[RankedList],
) -> tuple[dict[int, float], dict[int, Matched]]:
    similarity: dict[int, float] = {}
    matched: dict[int, tuple[int, Matched]] = {}
    for ranked in lists:
        if ranked.kind != ListKind.SEMANTIC:
            continue
        for rank, entry in enumerate(ranked.entries, start=1):
            similarity[entry.item_id] = max(similarity.get(entry.item_id, -math.inf), entry.score)
            if entry.item_id not in matched or rank < matched[entry.item_id][0]:
                matched[entry.item_id] = (rank, entry.matched)
    return similarity, {item_id: source for item_id, (_, source) in matched.items()}


def _rrf(lists: Sequence[tuple[RankedList, float]], k: int) -> dict[int, float]:
    scores: dict[int, float] = {}
    get = scores.get
    for ranked, weight in lists:
        for rank, entry in enumerate(ranked.entries, start=1):
            scores[entry.item_id] = get(entry.item_id, 0.0) + weight / (k + rank)
    best_possible = sum(weight for _, weight in lists) / (k + 1)
    return {item_id: score / best_possible for item_id, score in scores.items()}


def _convex(lists: Sequence[tuple[RankedList, float]]) -> dict[int, float]:
    """`_normaliser`'s arithmetic inlined: the tuner fuses every judged query under every
    profile it tries, thousands of times."""
    scores: dict[int, float] = {}
    get = scores.get
    total = sum(weight for _, weight in lists)
    for ranked, weight in lists:
        low, spread = _scale(ranked)
        for entry in ranked.entries:
            if spread <= 0:
                normalised = 1.0
            else:
                above = entry.score - low
                normalised = above / spread if above > 0 else 0.0
            scores[entry.item_id] = get(entry.item_id, 0.0) + weight * normalised
    return {item_id: score / total for item_id, score in scores.items()}


def _scale(ranked: RankedList) -> tuple[float, float]:
    """A list's min-max scale over its first NORMALISE_DEPTH entries: (min, max - min)."""
    values = [entry.score for entry in ranked.entries[:NORMALISE_DEPTH]]
    low = min(values)
    return low, max(values) - low


def _normaliser(ranked: RankedList) -> Callable[[float], float]:
    """A list's min-max scale over its first NORMALISE_DEPTH entries (0 below them)."""
    low, spread = _scale(ranked)
    if spread <= 0:
        return lambda score: 1.0
    return lambda score: max(0.0, (score - low) / spread)


def _weighted(
    lists: Sequence[RankedList], profile: FusionProfile
) -> list[tuple[RankedList, float]]:
    """The lists that take part in fusion, with their weights."""
    weighted = [
        (ranked, profile.weight(ranked.name))
        for ranked in lists
        if ranked.entries and ranked.kind != ListKind.IDENTIFIER
    ]
    return [(ranked, weight) for ranked, weight in weighted if weight > 0]


def lists_fuse(lists: Sequence[RankedList], profile: FusionProfile | None = None) -> list[Fused]:
    profile = profile or FusionProfile()
    similarity, matched = _semantic_evidence(lists)
    weighted = _weighted(lists, profile)
    if len(weighted) == 1:
        scores = {entry.item_id: entry.score for entry in weighted[0][0].entries}
    elif profile.method == FusionMethod.CONVEX:
        scores = _convex(weighted)
    else:
        scores = _rrf(weighted, profile.rrf_k)
    order = sorted(scores.items(), key=lambda entry: (-entry[1], entry[0]))
    return [
        Fused(
            item_id=item_id,
            score=score,
            matched=matched.get(item_id, Matched.TEXT),
            similarity=similarity.get(item_id),
        )
        for item_id, score in order
    ]


def unread_bounds(
    lists: Sequence[RankedList], profile: FusionProfile, depth: int
) -> dict[str, float]:
    """For each list that came back full (a shorter one holds every match), the most that
    `lists_fuse` could add to the score of an item it would list below ``depth``: 0 for
    convex fusion of lists read at least NORMALISE_DEPTH deep, the next rank for RRF; one
    list alone keeps its scores, so its last one."""
    weighted = _weighted(lists, profile)
    full = [(ranked, weight) for ranked, weight in weighted if len(ranked.entries) >= depth]
    if len(weighted) == 1:
        return {ranked.name: ranked.entries[-1].score for ranked, _ in full}
    total = sum(weight for _, weight in weighted)
    if profile.method == FusionMethod.CONVEX:
        return {r.name: w * _normaliser(r)(r.entries[-1].score) / total for r, w in full}
    best_possible = total / (profile.rrf_k + 1)
    return {r.name: w / (profile.rrf_k + depth + 1) / best_possible for r, w in full}
