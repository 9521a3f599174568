"""Search quality on a judged set: nDCG@10, MRR@10, hit@1, hit@5 and recall@100 per
configuration, overall and per query kind, a per-query table (where each relevant item
ranked, what came first instead) and the per-query difference of two configurations.

The metrics are computed by ir-measures (trec_eval underneath); this module only builds
its qrels and runs and reads its numbers. Grades 1-3 are relevant (nDCG uses the grade as
the gain), 0 is judged not relevant. A query that retrieves nothing scores 0; a query with
no relevant item is left out of the means (it cannot be answered right) and listed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean

import ir_measures
from ir_measures import RR, Qrel, R, ScoredDoc, Success, nDCG

from relevance.models import JudgedSet
from relevance.runner import Configuration, ranked_external_ids
from relevance.selectors import item_titles, judged_queries, judged_query_grades

MEASURES = {
    "nDCG@10": nDCG @ 10,
    "MRR@10": RR @ 10,
    "hit@1": Success @ 1,
    "hit@5": Success @ 5,
    "recall@100": R @ 100,
}
METRICS = tuple(MEASURES)
AHEAD_SHOWN = 3  # how many of the results that came before the first relevant one to show


def metric_scores(
    *, qrels: Mapping[str, Mapping[str, int]], runs: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, float]]:
    """query id -> metric -> value, for every query of `qrels`. `runs` holds each query's
    ranking (document ids, best first)."""
    judged = [
        Qrel(query_id, doc_id, grade)
        for query_id, grades in qrels.items()
        for doc_id, grade in grades.items()
    ]
    # trec_eval orders a run by score (ties by document id): strictly falling scores keep
    # the ranking exactly as search gave it.
    scored = [
        ScoredDoc(query_id, doc_id, float(len(ranking) - rank))
        for query_id, ranking in runs.items()
        for rank, doc_id in enumerate(ranking)
    ]
    names = {measure: name for name, measure in MEASURES.items()}
    scores: dict[str, dict[str, float]] = {
        query_id: dict.fromkeys(METRICS, 0.0) for query_id in qrels
    }
    for metric in ir_measures.iter_calc(list(MEASURES.values()), judged, scored):
        if metric.query_id in scores:
            scores[metric.query_id][names[metric.measure]] = float(metric.value)
    return scores


def mean_scores(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    return {metric: fmean(row[metric] for row in rows) if rows else 0.0 for metric in METRICS}


@dataclass(frozen=True)
class QueryOutcome:
    query_id: int
    text: str
    kind: str
    relevant: dict[str, int]  # external id -> grade (1-3)
    ranked: list[str]  # external ids, best first
    scores: dict[str, float]
    titles: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return self.text or "(image)"

    @property
    def ranks(self) -> dict[str, int | None]:
        """Each relevant item's rank (1-based), None when not retrieved; best grade first."""
        position = {external_id: rank for rank, external_id in enumerate(self.ranked, start=1)}
        order = sorted(self.relevant, key=lambda external_id: (-self.relevant[external_id],
                                                               external_id))  # fmt: skip
        return {external_id: position.get(external_id) for external_id in order}

    @property
    def ahead(self) -> list[str]:
        """What came first instead: the results ranked above the first relevant item (or
        the first results, when no relevant item was retrieved)."""
        ahead = []
        for external_id in self.ranked:
            if external_id in self.relevant:
                break
            ahead.append(external_id)
        return ahead[:AHEAD_SHOWN]

    def title(self, external_id: str) -> str:
        return self.titles.get(external_id, "")


@dataclass(frozen=True)
class KindSummary:
    kind: str
    queries: int
    scores: dict[str, float]


@dataclass(frozen=True)
class EvaluationReport:
    """One configuration on one judged set."""

    configuration: Configuration
    queries: list[QueryOutcome]
    unanswerable: list[str]  # queries without a relevant item, left out of the means

    @property
    def overall(self) -> dict[str, float]:
        return mean_scores([query.scores for query in self.queries])

    @property
    def per_kind(self) -> list[KindSummary]:
        kinds: dict[str, list[QueryOutcome]] = {}
        for query in self.queries:
            kinds.setdefault(query.kind, []).append(query)
        return [
            KindSummary(kind=kind, queries=len(rows), scores=mean_scores([q.scores for q in rows]))
            for kind, rows in sorted(kinds.items())
        ]


def judged_set_evaluate(
    *,
    judged_set: JudgedSet,
    configurations: Sequence[Configuration],
    kind: str | None = None,
    depth: int = 100,
) -> list[EvaluationReport]:
    """Search every query of the set (of one `kind`, if given) under each configuration and
    score the rankings."""
    queries = judged_queries(judged_set=judged_set, kind=kind)
    grades = {query.pk: judged_query_grades(query=query) for query in queries}
    answerable = [
        query for query in queries if any(grade > 0 for grade in grades[query.pk].values())
    ]
    unanswerable = [str(query) for query in queries if query not in answerable]
    reports = []
    for configuration in configurations:
        runs = {
            str(query.pk): ranked_external_ids(query, configuration, depth=depth)
            for query in answerable
        }
        scores = metric_scores(
            qrels={str(query.pk): grades[query.pk] for query in answerable}, runs=runs
        )
        shown = {
            external_id for ranking in runs.values() for external_id in ranking[:AHEAD_SHOWN]
        } | {external_id for query_grades in grades.values() for external_id in query_grades}
        titles = item_titles(external_ids=shown)
        reports.append(
            EvaluationReport(
                configuration=configuration,
                queries=[
                    QueryOutcome(
                        query_id=query.pk,
                        text=query.text,
                        kind=query.kind,
                        relevant={e: g for e, g in grades[query.pk].items() if g > 0},
                        ranked=runs[str(query.pk)],
                        scores=scores[str(query.pk)],
                        titles=titles,
                    )
                    for query in answerable
                ],
                unanswerable=unanswerable,
            )
        )
    return reports


@dataclass(frozen=True)
class QueryDelta:
    query: QueryOutcome  # under the base configuration
    other: QueryOutcome
    metric: str

    @property
    def delta(self) -> float:
        return self.other.scores[self.metric] - self.query.scores[self.metric]


@dataclass(frozen=True)
class Comparison:
    base: EvaluationReport
    other: EvaluationReport
    metric: str
    deltas: list[QueryDelta]  # largest change first

    @property
    def improved(self) -> int:
        return sum(1 for delta in self.deltas if delta.delta > 1e-9)

    @property
    def worse(self) -> int:
        return sum(1 for delta in self.deltas if delta.delta < -1e-9)

    @property
    def unchanged(self) -> int:
        return len(self.deltas) - self.improved - self.worse

    @property
    def overall_deltas(self) -> dict[str, float]:
        base, other = self.base.overall, self.other.overall
        return {metric: other[metric] - base[metric] for metric in METRICS}


def reports_compare(
    *, base: EvaluationReport, other: EvaluationReport, metric: str = "nDCG@10"
) -> Comparison:
    """Per-query difference of two configurations on the same queries."""
    others = {query.query_id: query for query in other.queries}
    deltas = [
        QueryDelta(query=query, other=others[query.query_id], metric=metric)
        for query in base.queries
        if query.query_id in others
    ]
    deltas.sort(key=lambda delta: (-abs(delta.delta), delta.query.query_id))
    return Comparison(base=base, other=other, metric=metric, deltas=deltas)
