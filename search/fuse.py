"""The fuse stage: several ranked lists in, one ranking out, as a fusion profile says.

- ``rrf``: weighted reciprocal rank fusion, sum of weight / (k + rank), scaled so that 1.0
  means first in every list at full weight;
- ``convex``: a convex combination of each list's min-max normalised scores (over its
  first 100 entries), sum of weight x (score - min) / (max - min) over the weights' sum (Bruch, Gai & Ingber, "An
  Analysis of Fusion Functions for Hybrid Retrieval", found it beating RRF once tuned).

One list alone keeps its own scores. A list weighted 0 takes no part. Ties break on the item
id (stable pages). An item's `matched` source and `similarity` come from the vector lists.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from search.types import Fused, ListKind, Matched, RankedList

NORMALISE_DEPTH = 100


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
    for ranked, weight in lists:
        for rank, entry in enumerate(ranked.entries, start=1):
            scores[entry.item_id] = scores.get(entry.item_id, 0.0) + weight / (k + rank)
    best_possible = sum(weight for _, weight in lists) / (k + 1)
    return {item_id: score / best_possible for item_id, score in scores.items()}


def _convex(lists: Sequence[tuple[RankedList, float]]) -> dict[int, float]:
    scores: dict[int, float] = {}
    total = sum(weight for _, weight in lists)
    for ranked, weight in lists:
        # The scale is taken from the first NORMALISE_DEPTH entries, so that a list fetched
        # deeper (the relevant set asks for 200) fuses the same: what lies below scores 0.
        values = [entry.score for entry in ranked.entries[:NORMALISE_DEPTH]]
        high, low = max(values), min(values)
        spread = high - low
        for entry in ranked.entries:
            normalised = max(0.0, (entry.score - low) / spread) if spread > 0 else 1.0
            scores[entry.item_id] = scores.get(entry.item_id, 0.0) + weight * normalised
    return {item_id: score / total for item_id, score in scores.items()}


def lists_fuse(lists: Sequence[RankedList], profile: FusionProfile | None = None) -> list[Fused]:
    profile = profile or FusionProfile()
    similarity, matched = _semantic_evidence(lists)
    weighted = [
        (ranked, profile.weight(ranked.name))
        for ranked in lists
        if ranked.entries and ranked.kind != ListKind.IDENTIFIER
    ]
    weighted = [(ranked, weight) for ranked, weight in weighted if weight > 0]
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
