"""Evaluation reports as plain-text tables (the `relevance evaluate` command prints them)."""

from __future__ import annotations

from collections.abc import Sequence

from relevance.evaluation import METRICS, Comparison, EvaluationReport


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, ["-" * width for width in widths], *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def _number(value: float) -> str:
    return f"{value:.3f}"


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def summary_table(reports: Sequence[EvaluationReport]) -> str:
    rows = [
        [report.configuration.label, str(len(report.queries))]
        + [_number(report.overall[metric]) for metric in METRICS]
        for report in reports
    ]
    return _table(["configuration", "queries", *METRICS], rows)


def kind_table(reports: Sequence[EvaluationReport]) -> str:
    rows = [
        [report.configuration.label, summary.kind, str(summary.queries)]
        + [_number(summary.scores[metric]) for metric in METRICS]
        for report in reports
        for summary in report.per_kind
    ]
    return _table(["configuration", "kind", "queries", *METRICS], rows)


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def query_table(report: EvaluationReport) -> str:
    rows = []
    for query in report.queries:
        ranks = ", ".join(
            f"{external_id}={rank if rank is not None else '-'}"
            for external_id, rank in query.ranks.items()
        )
        ahead = "; ".join(_short(query.title(e) or e, 30) for e in query.ahead)
        rows.append(
            [_short(query.label), query.kind, _number(query.scores["nDCG@10"]), ranks, ahead]
        )
    return _table(["query", "kind", "nDCG@10", "rank of each relevant item", "came first"], rows)


def comparison_table(comparison: Comparison) -> str:
    base, other = comparison.base.configuration.label, comparison.other.configuration.label
    overall = _table(
        ["metric", base, other, "delta"],
        [
            [
                metric,
                _number(comparison.base.overall[metric]),
                _number(comparison.other.overall[metric]),
                _signed(delta),
            ]
            for metric, delta in comparison.overall_deltas.items()
        ],
    )
    rows = [
        [
            _short(delta.query.label),
            delta.query.kind,
            _number(delta.query.scores[comparison.metric]),
            _number(delta.other.scores[comparison.metric]),
            _signed(delta.delta),
        ]
        for delta in comparison.deltas
        if abs(delta.delta) > 1e-9
    ]
    counts = (
        f"{other} vs {base} on {comparison.metric}: {comparison.improved} improved, "
        f"{comparison.worse} worse, {comparison.unchanged} unchanged"
    )
    per_query = _table(["query", "kind", base, other, "delta"], rows) if rows else "(no change)"
    return f"{overall}\n\n{counts}\n{per_query}"
