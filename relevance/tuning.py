"""Fitting a search profile to a judged set.

Each query is retrieved once (hybrid: every active space's vector list, BM25, fuzzy titles,
identifiers); only the fusion changes between candidates, so a candidate costs a fusion and
a scoring, not a search. The queries are split by a stable hash of their text into a part
to fit on and a held-out part that only reports, so that a profile which memorised the set
shows it. Coordinate search: from the weights of the profile in service (a list it does not
name at its default weight), each list's weight in turn takes the grid value that raises
mean nDCG@10 on the fitting part by more than noise (or keeps it, with a lighter weight),
until a round changes nothing; for both fusion methods; the better method wins. Starting
from every list at 1 instead let a small fitting part drop BM25 that paraphrases need
(books with a random CLIP: paraphrase nDCG@10 0.531 against 0.551 from the profile in
service). The grid's small steps let a list that only helps where it answers alone (a
space that embeds images well and text badly) end near 0 rather than at 0.1."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from catalog.models import Item
from relevance.evaluation import METRICS, mean_scores, metric_scores
from relevance.models import JudgedQuery, JudgedSet
from relevance.runner import judged_search_query
from relevance.selectors import judged_queries, judged_query_grades
from search.fuse import FusionMethod, FusionProfile, lists_fuse
from search.post import score_floor, with_pins
from search.profiles import profile_active
from search.query import SearchQuery
from search.service import Retrieval, query_retrieve
from search.types import SearchMode

GRID = (0.0, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
OBJECTIVE = "nDCG@10"
DEPTH = 100
MAX_ROUNDS = 4
# A heavier weight must earn its place: a gain smaller than this (a fraction of one query
# moving one rank) is noise on a set of tens of queries, and the lighter weight is kept.
MIN_GAIN = 0.005


@dataclass
class Prepared:
    """One judged query, retrieved once."""

    key: str
    kind: str
    query: SearchQuery
    retrieval: Retrieval
    grades: dict[str, int]
    external_ids: dict[int, str]
    fits: bool  # in the fitting part (else held out)


@dataclass
class TuneReport:
    profile: FusionProfile
    before: FusionProfile
    list_names: list[str]
    scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # scores[part][profile "before"/"after"][metric]; part: "fit", "held-out", "all"
    kinds: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    fit_queries: int = 0
    held_out_queries: int = 0
    tried: int = 0

    def summary(self) -> str:
        lines = [
            f"lists: {', '.join(self.list_names)}; {self.fit_queries} queries fitted, "
            f"{self.held_out_queries} held out; {self.tried} profiles tried",
            f"chosen: {self.profile.method} weights "
            + ", ".join(f"{name}={self.profile.weight(name):g}" for name in self.list_names),
            f"{'part':<10} {'metric':<11} {'before':>8} {'after':>8}",
        ]
        for part, versions in self.scores.items():
            for metric in METRICS:
                before, after = versions["before"][metric], versions["after"][metric]
                lines.append(f"{part:<10} {metric:<11} {before:8.3f} {after:8.3f}")
        return "\n".join(lines)


def _fits(text: str, share: float) -> bool:
    digest = hashlib.sha256(text.strip().lower().encode()).digest()
    return digest[0] / 256 < share


def queries_prepare(
    *, judged_set: JudgedSet, share: float, progress: Callable[[], None] | None = None
) -> list[Prepared]:
    prepared = []
    for judged in judged_queries(judged_set=judged_set):
        grades = judged_query_grades(query=judged)
        if not any(grade > 0 for grade in grades.values()):
            continue
        prepared.append(_prepare(judged, grades, share))
        if progress is not None:
            progress()
    return prepared


def _prepare(judged: JudgedQuery, grades: dict[str, int], share: float) -> Prepared:
    query = judged_search_query(judged, SearchMode.HYBRID, k=DEPTH)
    retrieval = (
        query_retrieve(query)
        if query.problem() is None
        else Retrieval([], None, [], SearchMode.HYBRID)
    )
    ids = {entry.item_id for ranked in retrieval.lists for entry in ranked.entries}
    if retrieval.identifiers is not None:
        ids |= {entry.item_id for entry in retrieval.identifiers.entries}
    external = dict(Item.objects.filter(pk__in=ids).values_list("pk", "external_id"))
    return Prepared(
        key=str(judged.pk),
        kind=judged.kind,
        query=query,
        retrieval=retrieval,
        grades=grades,
        external_ids=external,
        fits=_fits(judged.text or str(judged.pk), share),
    )


def _ranking(prepared: Prepared, profile: FusionProfile) -> list[str]:
    fused = score_floor(lists_fuse(prepared.retrieval.lists, profile), profile.min_score_ratio)
    entries = with_pins(fused, prepared.retrieval.identifiers)[:DEPTH]
    return [prepared.external_ids[entry.item_id] for entry in entries]


def scores_of(prepared: Sequence[Prepared], profile: FusionProfile) -> dict[str, dict[str, float]]:
    """query key -> metric -> value under this profile."""
    if not prepared:
        return {}
    return metric_scores(
        qrels={p.key: p.grades for p in prepared},
        runs={p.key: _ranking(p, profile) for p in prepared},
    )


def _mean(prepared: Sequence[Prepared], profile: FusionProfile) -> dict[str, float]:
    return mean_scores(list(scores_of(prepared, profile).values())) if prepared else {}


def profile_fit(*, prepared: Sequence[Prepared], before: FusionProfile | None = None) -> TuneReport:
    before = before or profile_active()
    fitting = [p for p in prepared if p.fits] or list(prepared)
    held_out = [p for p in prepared if not p.fits]
    names = sorted({ranked.name for p in prepared for ranked in p.retrieval.lists})
    tried = 0

    def objective(profile: FusionProfile) -> float:
        nonlocal tried
        tried += 1
        return _mean(fitting, profile).get(OBJECTIVE, 0.0)

    best: tuple[float, FusionProfile] | None = None
    for method in FusionMethod:
        weights = {name: before.weight(name) for name in names}
        current = FusionProfile(method=method, weights=weights, rrf_k=before.rrf_k)
        score = objective(current)
        for _ in range(MAX_ROUNDS):
            changed = False
            for name in names:
                for value in GRID:
                    if value == weights[name]:
                        continue
                    trial = {**weights, name: value}
                    if not any(trial.values()):
                        continue
                    candidate = replace(current, weights=trial)
                    candidate_score = objective(candidate)
                    # A lighter weight that scores the same wins too: a list that does not
                    # help ends at 0 instead of wherever the search found it.
                    lighter = value < weights[name] and candidate_score >= score - 1e-9
                    if candidate_score > score + MIN_GAIN or lighter:
                        score = max(score, candidate_score)
                        weights, current, changed = trial, candidate, True
            if not changed:
                break
        if best is None or score > best[0] + 1e-9:
            best = (score, current)
    if best is None:  # pragma: no cover - FusionMethod is not empty
        raise ValueError("no fusion method to try")
    # Both fusions rank the same under weights scaled alike: the largest weight becomes 1.
    top = max(best[1].weights.values())
    scaled = {name: round(weight / top, 3) for name, weight in best[1].weights.items()}
    chosen = replace(best[1], weights=scaled, min_score_ratio=before.min_score_ratio, label="tuned")
    report = TuneReport(
        profile=chosen,
        before=before,
        list_names=names,
        fit_queries=len(fitting),
        held_out_queries=len(held_out),
        tried=tried,
    )
    for part, rows in (("fit", fitting), ("held-out", held_out), ("all", list(prepared))):
        if rows:
            report.scores[part] = {"before": _mean(rows, before), "after": _mean(rows, chosen)}
    for kind in sorted({p.kind for p in prepared}):
        rows = [p for p in prepared if p.kind == kind]
        report.kinds[kind] = {"before": _mean(rows, before), "after": _mean(rows, chosen)}
    return report
