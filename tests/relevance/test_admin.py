from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Item
from relevance.models import JudgedSet, Judgement

pytestmark = pytest.mark.django_db


def test_evaluation_page_shows_the_tables(demo_catalog: int, admin_user_client: Any) -> None:
    _, client = admin_user_client
    demo = JudgedSet.objects.get(name="demo")
    url = reverse("admin:relevance_judgedset_evaluate", args=[demo.pk])
    assert "summary" not in client.get(url).content.decode()
    page = client.get(url, {"modes": ["lexical", "hybrid"], "compare": "on"}).content.decode()
    assert 'id="summary"' in page and 'id="per-kind"' in page and "misspelled_title" in page
    assert "Per query: lexical" in page and "Per query: hybrid" in page
    assert 'id="comparison-counts"' in page
    refused = client.get(url, {"modes": ["lexical"], "profiles": "tuned"}).content.decode()
    assert "no search profile &#x27;tuned&#x27;" in refused and 'id="summary"' not in refused


def test_import_and_export_in_the_admin(demo_catalog: int, admin_user_client: Any) -> None:
    _, client = admin_user_client
    url = reverse("admin:relevance_judgedset_import")
    bad = SimpleUploadedFile("set.jsonl", b'{"query": "x", "relevant": {"ghost-1": 3}}\n')
    page = client.post(url, {"file": bad, "name": "mine"}).content.decode()
    assert "unknown external id ghost-1" in page and not JudgedSet.objects.filter(name="mine")
    good = SimpleUploadedFile(
        "set.csv", b"query,kind,external_id,grade\nteapot,exact_title,demo-teapot-green,3\n"
    )
    response = client.post(url, {"file": good, "name": "mine"})
    mine = JudgedSet.objects.get(name="mine")
    assert response.status_code == 302 and mine.queries.count() == 1
    export = client.get(reverse("admin:relevance_judgedset_export", args=[mine.pk]))
    assert export.content.decode() == (
        '{"query": "teapot", "kind": "exact_title", "relevant": {"demo-teapot-green": 3}}\n'
    )
    listing = client.get(reverse("admin:relevance_judgedset_changelist")).content.decode()
    assert "Import JSONL / CSV" in listing and "Evaluate" in listing


def test_grade_a_search_result_with_one_click(demo_catalog: int, admin_user_client: Any) -> None:
    _, client = admin_user_client
    query = JudgedSet.objects.get(name="demo").queries.get(text="warm hat for winter")
    url = reverse("admin:relevance_judgedquery_judge", args=[query.pk])
    page = client.get(url, {"mode": "lexical"}).content.decode()
    assert 'id="judge-results"' in page and "Red and Cream Striped Scarf" in page
    clock = Item.objects.get(external_id="demo-clock-white")
    response = client.post(f"{url}?mode=lexical", {"item": clock.pk, "grade": "2"})
    assert response.status_code == 302
    assert Judgement.objects.get(query=query, item=clock).grade == 2
    client.post(url, {"item": clock.pk, "grade": "-1"})
    assert not Judgement.objects.filter(query=query, item=clock).exists()
    change = client.get(reverse("admin:relevance_judgedquery_change", args=[query.pk]))
    assert change.status_code == 200 and "Search and grade results" in change.content.decode()
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "relevance", "model_name": "judgement", "field_name": "item", "term": "oak"},
    )
    assert "Oak Cutting Board" in autocomplete.content.decode()
