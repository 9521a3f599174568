from __future__ import annotations

import pytest

from relevance.formats import (
    JudgedQueryData,
    JudgedSetFileError,
    judged_queries_parse,
    judged_queries_to_jsonl,
)


def test_jsonl_round_trip() -> None:
    content = (
        '{"query": "cheap mug", "kind": "intent", "filters": {"price_max": "20"}, '
        '"relevant": {"m1": 3, "m2": 1}}\n\n'
        '{"query": "M-1", "kind": "identifier", "relevant": {"m1": 3}}\n'
    )
    queries = judged_queries_parse(content=content, format="jsonl")
    assert queries == [
        JudgedQueryData("cheap mug", "intent", {"m1": 3, "m2": 1}, {"price_max": "20"}, "", 1),
        JudgedQueryData("M-1", "identifier", {"m1": 3}, {}, "", 3),
    ]
    again = judged_queries_parse(content=judged_queries_to_jsonl(queries), format="jsonl")
    assert [(q.text, q.kind, q.relevant, q.filters) for q in again] == [
        (q.text, q.kind, q.relevant, q.filters) for q in queries
    ]


def test_csv_rows_of_one_query_make_one_query() -> None:
    content = (
        "query,kind,external_id,grade\n"
        "red mug,exact_title,m1,3\n"
        "red mug,exact_title,m2,1\n"
        "tent,paraphrase,t1,2\n"
    )
    queries = judged_queries_parse(content=content, format="csv")
    assert [(q.text, q.kind, q.relevant, q.line) for q in queries] == [
        ("red mug", "exact_title", {"m1": 3, "m2": 1}, 2),
        ("tent", "paraphrase", {"t1": 2}, 4),
    ]


@pytest.mark.parametrize(
    ("content", "format", "problem"),
    [
        ('{"query": "x", "relevant": {"a": 4}}', "jsonl", "line 1: grades must be 0-3 (for a)"),
        ('{"query": "x", "relevant": {"a": true}}', "jsonl", "grades must be 0-3"),
        ('{"query": "x", "kind": "vibes", "relevant": {"a": 1}}', "jsonl", "unknown kind 'vibes'"),
        ('{"query": "x", "relevant": {}}', "jsonl", "line 1: no judged items"),
        ('{"query": "", "relevant": {"a": 1}}', "jsonl", "needs text or an image"),
        ('{"query": "x", "relevnt": {"a": 1}}', "jsonl", "unknown field relevnt"),
        ("not json", "jsonl", "line 1: not JSON"),
        ('{"query": "x", "filters": {"colour": "red"}, "relevant": {"a": 1}}', "jsonl",
         "unknown filter colour"),
        ('{"query": "x", "filters": {"price_max": "lots"}, "relevant": {"a": 1}}', "jsonl",
         "filters.price_max must be a number"),
        ("query,kind,id,grade\n", "csv", "expected the header query,kind,external_id,grade"),
        ("query,kind,external_id,grade\nx,other,a,high\n", "csv", "line 2: needs an external_id"),
        ("query,kind,external_id,grade\nx,other,a\n", "csv", "line 2: expected 4 columns"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_with_the_line(content: str, format: str, problem: str) -> None:
    with pytest.raises(JudgedSetFileError) as raised:
        judged_queries_parse(content=content, format=format)
    assert any(problem in reported for reported in raised.value.problems), raised.value.problems


def test_every_problem_is_reported_not_just_the_first() -> None:
    content = (
        '{"query": "x", "relevant": {"a": 9}}\n{"query": "y", "kind": "?", "relevant": {"b": 1}}'
    )
    with pytest.raises(JudgedSetFileError) as raised:
        judged_queries_parse(content=content, format="jsonl")
    assert [p.split(":")[0] for p in raised.value.problems] == ["line 1", "line 2"]
