"""The lexical lists: BM25F over trigger-kept documents, identifiers, fuzzy titles, "did you
mean", and the per-deployment text search configuration."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from catalog import services as catalog_services
from catalog.filters import ItemFilter
from catalog.lexical import identifier_normal_form, lexical_apply
from catalog.models import Item
from search.lexical import bm25_list, identifier_candidates, query_terms
from search.query import SearchQuery
from search.service import item_search
from search.types import SearchMode

pytestmark = pytest.mark.django_db(transaction=True)


def item(external_id: str, title: str, **fields: Any) -> Item:
    return catalog_services.item_create(external_id=external_id, title=title, **fields)


def titles(mode: SearchMode, text: str, **kwargs: Any) -> list[str]:
    results = item_search(query=SearchQuery(text=text, mode=mode, **kwargs))
    return [hit.item.title for hit in results.hits]


def test_documents_are_kept_by_the_database_on_every_write() -> None:
    made = item("bk-1", "Clean Code", category="Books", description="Craft of software.",
                attributes={"ISBN": "978-0-13-235088-4", "author": "Robert Martin"})  # fmt: skip
    row = Item.objects.get(pk=made.pk)
    assert row.lexical_lengths == [2, 1, 7, 2]  # title, category, attribute values, description
    assert sorted(row.identifiers) == ["9780132350884", "bk1"]
    Item.objects.filter(pk=made.pk).update(title="Clean Architecture")  # a write Django skips
    row = Item.objects.get(pk=made.pk)
    assert "architectur" in str(row.search_vector) and "clean" in str(row.search_vector)


def test_bm25_scores_match_the_formula() -> None:
    a = item("a", "red kettle")  # title weight 3, category 1.5, attributes 1, description 1
    item("b", "blue teapot", description="a kettle for tea")
    item("c", "green cup")
    ranked = bm25_list("kettle", ItemFilter(), 10).entries
    n, df = 3, 2
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    lengths = {"a": 2 * 3.0, "b": 2 * 3.0 + 2 * 1.0}  # "a", "for" are English stop words
    average = (lengths["a"] + lengths["b"] + 2 * 3.0) / 3
    expected_a = idf * 3.0 * 2.2 / (3.0 + 1.2 * (1 - 0.75 + 0.75 * lengths["a"] / average))
    assert [entry.item_id for entry in ranked][0] == a.pk
    assert ranked[0].score == pytest.approx(expected_a, rel=1e-6)
    assert len(ranked) == 2


def test_an_identifier_comes_first_in_every_mode_and_alone_when_it_is_the_query() -> None:
    item("SKU-77-A", "Oak desk", attributes={"isbn": "978-1-4028-9462-6"})
    item("SKU-77-B", "Oak desk, large", attributes={"mpn": "OD 77B"})
    item("other", "A desk for the kitchen sku", description="SKU 77 A is a desk too")
    for mode in SearchMode:
        if mode == SearchMode.SEMANTIC:
            continue  # no space in this test: semantic falls back to lexical
        assert titles(mode, "sku-77-a") == ["Oak desk"]
        assert titles(mode, "SKU 77 A") == ["Oak desk"]
        assert titles(mode, "9781402894626") == ["Oak desk"]
        assert titles(mode, "978 1 4028 9462 6") == ["Oak desk"]
        assert titles(mode, "od-77b") == ["Oak desk, large"]
        assert titles(mode, "desk 9781402894626")[0] == "Oak desk"  # pinned, others follow
    assert identifier_candidates("teapot") == []  # a word is not an identifier
    assert identifier_normal_form(" ab-12/3.4 ") == "ab1234"


def test_misspelled_titles_are_found_and_respelled() -> None:
    item("t1", "Ceramic teapot", category="Kitchen")
    item("t2", "Steel kettle", category="Kitchen")
    results = item_search(query=SearchQuery(text="ceramc teapott", mode=SearchMode.LEXICAL))
    assert [hit.item.title for hit in results.hits][0] == "Ceramic teapot"
    assert results.did_you_mean == "ceramic teapot"
    exact = item_search(query=SearchQuery(text="ceramic teapot", mode=SearchMode.LEXICAL))
    assert exact.did_you_mean is None
    response = Client().get("/", {"q": "ceramc teapott"})
    assert "Did you mean" in response.content.decode()
    assert 'href="?q=ceramic+teapot"' in response.content.decode()


def test_the_text_search_configuration_is_the_deployments() -> None:
    item("f1", "Crème brûlée dishes", description="Ramekins for desserts")
    assert titles(SearchMode.LEXICAL, "creme brulee") == []  # english keeps the accents
    try:
        with override_settings(SEARCHAPP_TEXT_SEARCH_CONFIG="simple_unaccent"):
            assert lexical_apply() is True  # rebuilt every document
            assert query_terms("Crème BRÛLÉE") == ["creme", "brulee"]
            assert titles(SearchMode.LEXICAL, "creme brulee") == ["Crème brûlée dishes"]
            klingon = override_settings(SEARCHAPP_TEXT_SEARCH_CONFIG="klingon")
            with pytest.raises(ImproperlyConfigured, match="no text search config"), klingon:
                lexical_apply()
    finally:
        lexical_apply()
    assert titles(SearchMode.LEXICAL, "ramekin") == ["Crème brûlée dishes"]  # stemmed again
