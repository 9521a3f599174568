"""The admin dashboard's content: its tables, charts and CSV files, from the selectors."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from analytics.charts import Series, chart
from analytics.selectors import (
    Bucket,
    Counts,
    Window,
    counts_over_time,
    top_queries,
    unclicked_queries,
    window_totals,
    zero_result_queries,
)

TABLES = {
    "top": ("Top queries", top_queries),
    "zero": ("Zero-result queries", zero_result_queries),
    "unclicked": ("Queries with results but no clicks", unclicked_queries),
}
CSV_COLUMNS = [
    "query", "searches", "zero_results", "with_results", "clicked", "ctr", "clicks",
    "mean_position", "conversions",
]  # fmt: skip


def _add_url(url_name: str, **params: str) -> str | None:
    """An admin add page prefilled from the query, when that page exists (the search app's
    synonym groups and query rules)."""
    try:
        return f"{reverse(url_name)}?{urlencode(params)}"
    except NoReverseMatch:
        return None


def curation_links(query: str) -> dict[str, str | None]:
    return {
        "synonyms": _add_url("admin:search_synonymgroup_add", terms=query),
        "rule": _add_url("admin:search_queryrule_add", query=query),
    }


def dashboard_context(*, window: Window, bucket: Bucket) -> dict[str, Any]:
    over_time = counts_over_time(window=window, bucket=bucket)
    labels = [row.label for row in over_time]
    tables = [
        {
            "key": key,
            "title": title,
            "rows": [
                {"counts": row, "links": curation_links(row.label) if key != "top" else None}
                for row in rows(window=window)
            ],
        }
        for key, (title, rows) in TABLES.items()
    ]
    return {
        "totals": window_totals(window=window),
        "tables": tables,
        "over_time": over_time,
        "charts": [
            chart(
                title="Searches",
                labels=labels,
                series=[
                    Series("searches", [row.searches for row in over_time], bars=True),
                    Series("zero results", [row.zero_results for row in over_time], bars=True),
                ],
            ),
            chart(
                title="Click-through rate",
                labels=labels,
                series=[Series("CTR", [row.ctr for row in over_time])],
                percent=True,
            ),
            chart(
                title="Mean click position",
                labels=labels,
                series=[Series("mean click position", [row.mean_position for row in over_time])],
            ),
        ],
    }


def _cell(text: str) -> str:
    """A shopper's text as a cell a spreadsheet shows and never evaluates as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def counts_csv(rows: Sequence[Counts], *, label: str = "query") -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label, *CSV_COLUMNS[1:]])
    for row in rows:
        writer.writerow(
            [
                _cell(row.label),
                row.searches,
                row.zero_results,
                row.with_results,
                row.clicked,
                "" if row.ctr is None else f"{row.ctr:.4f}",
                row.clicks,
                "" if row.mean_position is None else f"{row.mean_position:.2f}",
                row.conversions,
            ]  # fmt: skip
        )
    return out.getvalue()
