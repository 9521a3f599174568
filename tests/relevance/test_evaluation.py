"""Evaluation end to end over the demo catalog with real (lexical) search: no embedding
space here, so semantic and hybrid answer by full-text search."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from relevance.evaluation import METRICS, judged_set_evaluate, reports_compare
from relevance.models import JudgedSet
from relevance.runner import (
    Configuration,
    ConfigurationError,
    judged_search_query,
    ranked_external_ids,
)
from search.profiles import profile_default, profile_version_create
from search.service import item_search
from search.types import SearchMode

pytestmark = pytest.mark.django_db


def test_the_adapter_ranks_by_search_and_applies_the_filters(demo_catalog: int) -> None:
    demo = JudgedSet.objects.get(name="demo")
    exact = demo.queries.get(text="Oak Cutting Board")
    assert ranked_external_ids(exact, Configuration(mode="lexical"))[0] == "demo-board-oak"
    filtered = demo.queries.get(text="blue")
    ranked = ranked_external_ids(filtered, Configuration(mode="lexical"))
    assert sorted(ranked) == ["demo-backpack-blue", "demo-mug-blue", "demo-vase-blue"]
    assert len(ranked_external_ids(exact, Configuration(mode="lexical"), depth=2)) <= 2


def test_a_profile_is_searched_with_by_name_and_an_unknown_one_refused(demo_catalog: int) -> None:
    query = JudgedSet.objects.get(name="demo").queries.filter(text__contains=" ").first()
    assert query is not None
    with pytest.raises(ConfigurationError, match="no search profile 'tuned'"):
        ranked_external_ids(query, Configuration(mode="hybrid", profile="tuned"))
    profile_version_create(name="top-only", min_score_ratio=1.0)  # only the best score
    everything = ranked_external_ids(query, Configuration(mode="lexical", profile="default"))
    best = ranked_external_ids(query, Configuration(mode="lexical", profile="top-only@v1"))
    hits = item_search(
        query=judged_search_query(query, SearchMode.LEXICAL, k=100), profile=profile_default()
    ).hits
    tied_first = [hit.item.external_id for hit in hits if hit.score == hits[0].score]
    assert best == tied_first and len(best) < len(everything)


def test_evaluation_per_configuration_kind_and_query(demo_catalog: int) -> None:
    demo = JudgedSet.objects.get(name="demo")
    lexical, semantic = judged_set_evaluate(
        judged_set=demo,
        configurations=[Configuration(mode="lexical"), Configuration(mode="semantic")],
    )
    assert len(lexical.queries) == demo.queries.count()
    exact = [q for q in lexical.queries if q.kind == "exact_title"]
    assert all(q.scores["hit@1"] == 1.0 for q in exact), [(q.text, q.ranked[:3]) for q in exact]
    kinds = {summary.kind: summary for summary in lexical.per_kind}
    assert kinds["exact_title"].scores["hit@1"] == 1.0 and kinds["exact_title"].queries == 4
    # Image-only queries have no text: full-text search finds nothing for them.
    assert kinds["image"].scores["nDCG@10"] < 1.0
    assert set(lexical.overall) == set(METRICS)
    assert all(0.0 <= value <= 1.0 for value in lexical.overall.values())
    ghost = next(q for q in lexical.queries if q.text == "red things")
    assert ghost.ranks["demo-mug-red"] is not None
    comparison = reports_compare(base=lexical, other=semantic)
    assert comparison.improved + comparison.worse + comparison.unchanged == len(lexical.queries)


def test_the_kind_option_keeps_one_kind(demo_catalog: int) -> None:
    (report,) = judged_set_evaluate(
        judged_set=JudgedSet.objects.get(name="demo"),
        configurations=[Configuration(mode="lexical")],
        kind="identifier",
    )
    assert {q.kind for q in report.queries} == {"identifier"} and len(report.queries) == 3


def test_evaluate_command_prints_the_tables(demo_catalog: int) -> None:
    out = StringIO()
    call_command(
        "relevance", "evaluate", "demo", "--mode", "lexical", "--mode", "hybrid",
        "--per-query", "--compare", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "configuration  queries  nDCG@10  MRR@10  hit@1  hit@5  recall@100" in text
    assert "Per kind" in text and "exact_title" in text and "misspelled_title" in text
    assert "Per query: lexical" in text and "demo-board-oak=1" in text
    assert "hybrid vs lexical on nDCG@10:" in text
    with pytest.raises(CommandError, match="No judged set named 'nope'"):
        call_command("relevance", "evaluate", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="--compare needs two configurations"):
        call_command("relevance", "evaluate", "demo", "--compare", stdout=StringIO())
    with pytest.raises(CommandError, match="no search profile 'x'"):
        call_command("relevance", "evaluate", "demo", "--profile", "x", stdout=StringIO())


def test_import_and_export_commands(demo_catalog: int, tmp_path: Path) -> None:
    source = tmp_path / "set.csv"
    source.write_text(
        "query,kind,external_id,grade\nteapot,exact_title,demo-teapot-green,3\n"
        "mugs,intent,demo-mug-red,2\nmugs,intent,demo-mug-blue,2\n"
    )
    out = StringIO()
    call_command("relevance", "import", str(source), "--set", "mine", stdout=out)
    assert "Judged set mine created: 2 queries, 3 judgements." in out.getvalue()
    target = tmp_path / "mine.jsonl"
    call_command("relevance", "export", "mine", "--output", str(target), stderr=StringIO())
    assert target.read_text().splitlines() == [
        '{"query": "teapot", "kind": "exact_title", "relevant": {"demo-teapot-green": 3}}',
        '{"query": "mugs", "kind": "intent", "relevant": {"demo-mug-red": 2, "demo-mug-blue": 2}}',
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "relevant": {"missing-1": 3}}\n')
    with pytest.raises(
        CommandError, match="nothing stored.\n  line 1 \\('x'\\): unknown external id missing-1"
    ):
        call_command("relevance", "import", str(bad), "--set", "bad", stdout=StringIO())
