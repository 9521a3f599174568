"""The fuse stage: several ranked lists in, one ranking out.

One list keeps its own scores. Several are fused by reciprocal rank fusion (sum of
1/(k + rank)), scaled so that 1.0 means first in every list; ties break on the item id
(stable pages). An item's `matched` source and `similarity` come from the vector lists."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.conf import settings

from search.types import Fused, ListKind, Matched, RankedList


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


def lists_fuse(lists: Sequence[RankedList]) -> list[Fused]:
    similarity, matched = _semantic_evidence(lists)
    nonempty = [ranked for ranked in lists if ranked.entries]
    if len(nonempty) <= 1:
        return [
            Fused(
                item_id=entry.item_id,
                score=entry.score,
                matched=matched.get(entry.item_id, entry.matched),
                similarity=similarity.get(entry.item_id),
            )
            for ranked in nonempty
            for entry in ranked.entries
        ]
    k = settings.SEARCHAPP_RRF_K
    scores: dict[int, float] = {}
    for ranked in nonempty:
        for rank, entry in enumerate(ranked.entries, start=1):
            scores[entry.item_id] = scores.get(entry.item_id, 0.0) + 1.0 / (k + rank)
    best_possible = len(nonempty) / (k + 1)
    order = sorted(scores.items(), key=lambda entry: (-entry[1], entry[0]))
    return [
        Fused(
            item_id=item_id,
            score=score / best_possible,
            matched=matched.get(item_id, Matched.TEXT),
            similarity=similarity.get(item_id),
        )
        for item_id, score in order
    ]
