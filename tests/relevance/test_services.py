from __future__ import annotations

from pathlib import Path

import pytest

from catalog.models import Item
from relevance.formats import JudgedQueryData, JudgedSetFileError, judged_queries_parse
from relevance.models import JudgedQuery, JudgedSet, Judgement
from relevance.selectors import judged_set_export
from relevance.services import (
    DEMO_JUDGED_SET_FILE,
    judged_set_import,
    judgement_delete,
    judgement_set,
)

pytestmark = pytest.mark.django_db


def test_the_demo_judged_set_is_loaded_with_the_demo(demo_catalog: int) -> None:
    judged_set = JudgedSet.objects.get(name="demo")
    lines = [line for line in DEMO_JUDGED_SET_FILE.read_text().splitlines() if line.strip()]
    assert judged_set.queries.count() == len(lines) >= 20
    kinds = set(judged_set.queries.values_list("kind", flat=True))
    assert kinds == {"paraphrase", "exact_title", "misspelled_title", "identifier", "intent",
                     "image"}  # fmt: skip
    image_queries = judged_set.queries.filter(kind="image")
    assert image_queries.count() == 3 and all(query.image for query in image_queries)


def test_unknown_external_ids_are_reported_and_nothing_is_stored(demo_catalog: int) -> None:
    queries = [
        JudgedQueryData("mug", "paraphrase", {"demo-mug-red": 3}, line=1),
        JudgedQueryData("ghost", "other", {"no-such-item": 3, "demo-mug-red": 1}, line=2),
        JudgedQueryData("", "image", {"demo-mug-red": 3}, image="missing.png", line=3),
    ]
    before = (JudgedQuery.objects.count(), Judgement.objects.count())
    with pytest.raises(JudgedSetFileError) as raised:
        judged_set_import(name="broken", queries=queries, images_dir=Path("/nonexistent"))
    assert raised.value.problems[0] == "line 2 ('ghost'): unknown external id no-such-item"
    assert raised.value.problems[1].startswith("line 3: image: cannot read")
    assert not JudgedSet.objects.filter(name="broken").exists()
    assert (JudgedQuery.objects.count(), Judgement.objects.count()) == before


def test_importing_again_replaces_the_queries_and_export_round_trips(demo_catalog: int) -> None:
    demo = JudgedSet.objects.get(name="demo")
    exported = judged_set_export(judged_set=demo)
    assert exported[-1].image.startswith("data:image/png;base64,")
    report = judged_set_import(name="copy", queries=exported, description="a copy")
    assert report.created and report.queries == len(exported)
    copy = judged_set_export(judged_set=JudgedSet.objects.get(name="copy"))
    assert [(q.text, q.kind, q.relevant, q.filters) for q in copy] == [
        (q.text, q.kind, q.relevant, q.filters) for q in exported
    ]
    again = judged_set_import(
        name="copy",
        queries=judged_queries_parse(
            content='{"query": "mug", "relevant": {"demo-mug-red": 3}}', format="jsonl"
        ),
    )
    assert not again.created
    assert list(JudgedSet.objects.get(name="copy").queries.values_list("text", flat=True)) == [
        "mug"
    ]
    assert JudgedSet.objects.get(name="copy").description == "a copy"


def test_grading_an_item_replaces_its_grade(demo_catalog: int) -> None:
    query = JudgedQuery.objects.filter(judged_set__name="demo").first()
    assert query is not None
    item = Item.objects.get(external_id="demo-clock-white")
    judgement_set(query=query, item=item, grade=2)
    judgement_set(query=query, item=item, grade=1)
    assert Judgement.objects.get(query=query, item=item).grade == 1
    judgement_delete(query=query, item=item)
    assert not Judgement.objects.filter(query=query, item=item).exists()
