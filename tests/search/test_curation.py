"""Synonyms and query rules through the search service (lexical mode: exact, no vectors):
every consequence pinned down, and the compiled set's cache."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import services as catalog_services
from catalog.filters import ItemFilter
from catalog.models import Item
from search import rewrite
from search.curation import query_rule_save, synonym_group_save
from search.curation_io import SynonymFormat, synonyms_export, synonyms_import
from search.models import QueryRule, SynonymGroup
from search.query import SearchQuery, query_normalise
from search.rewrite import curation_cache, query_rewrite
from search.service import item_search
from search.types import SearchMode, SearchResults

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_cutoff")]


def item(external_id: str, title: str, **fields: Any) -> Item:
    return catalog_services.item_create(external_id=external_id, title=title, **fields)


def search(text: str, **kwargs: Any) -> SearchResults:
    return item_search(query=SearchQuery(text=text, mode=SearchMode.LEXICAL, **kwargs))


def ids(results: SearchResults) -> list[str]:
    return [hit.item.external_id for hit in results.hits]


def two_way(*terms: str, semantic: bool = False) -> SynonymGroup:
    return synonym_group_save(
        group=SynonymGroup(kind="two_way", terms=list(terms), expand_semantic=semantic)
    )


def one_way(source: str, *terms: str, semantic: bool = False) -> SynonymGroup:
    group = SynonymGroup(kind="one_way", source=source, terms=list(terms),
                         expand_semantic=semantic)  # fmt: skip
    return synonym_group_save(group=group)


def rule(condition: str, **fields: Any) -> QueryRule:
    fields.setdefault("name", f"rule {condition}")
    return query_rule_save(rule=QueryRule(condition=condition, **fields))


@pytest.fixture
def lamps() -> dict[str, Item]:
    return {
        "desk": item("lamp-desk", "Desk lamp", category="Lamps", attributes={"color": "black"}),
        "floor": item(
            "lamp-floor", "Floor lamp lamp", category="Lamps", attributes={"color": "white"}
        ),  # fmt: skip
        "wall": item("lamp-wall", "Wall lamp", category="Lighting"),
        "chair": item("chair", "Oak chair", category="Chairs"),
    }


def test_queries_are_normalised_one_way() -> None:
    assert query_normalise("  T-Shirt,  Blue!! ") == "t shirt blue"
    assert query_normalise("Crème BRÛLÉE_set") == "crème brûlée set"
    assert query_normalise("...") == ""


def test_a_two_way_group_finds_every_term_from_every_term() -> None:
    item("s1", "Red sofa")
    item("s2", "Blue couch")
    item("s3", "Settee deluxe")
    item("x", "Kitchen table")
    assert ids(search("couch")) == ["s2"]
    two_way("sofa", "couch", "settee")
    for word in ("sofa", "couch", "settee"):
        found = ids(search(word))
        assert sorted(found) == ["s1", "s2", "s3"]
        assert found[0] == {"sofa": "s1", "couch": "s2", "settee": "s3"}[word]


def test_a_one_way_group_expands_its_source_only() -> None:
    item("t1", "Cotton t-shirt")
    item("t2", "Golf tee")
    one_way("tee", "t-shirt")
    assert sorted(ids(search("tee"))) == ["t1", "t2"]
    assert ids(search("t-shirt")) == ["t1"]


def test_synonyms_match_phrases_on_word_boundaries_and_feed_the_trigram_list() -> None:
    item("p1", "Leather purse")
    item("p2", "Handbag hook")
    two_way("hand bag", "purse")
    assert ids(search("blue hand bag")) == ["p1"]
    assert query_rewrite(SearchQuery(text="Blue HAND-bag")).query.expansions == ("blue purse",)
    assert query_rewrite(SearchQuery(text="handbags")).query.expansions == ()
    # trigram: a misspelling of a synonym's phrasing is found through the expansion
    one_way("carryall", "leather purs")
    assert "p1" in ids(search("carryall"))


def test_semantic_expansion_only_for_groups_that_ask_for_it() -> None:
    one_way("tee", "t-shirt", semantic=True)
    two_way("sofa", "couch")
    widened = query_rewrite(SearchQuery(text="white tee")).query
    assert widened.semantic_text == "white tee t shirt"
    assert query_rewrite(SearchQuery(text="sofa")).query.semantic_text == ""


def test_a_pinned_item_sits_at_its_position_even_when_it_does_not_match(
    lamps: dict[str, Item],
) -> None:
    before = ids(search("lamp"))
    assert "chair" not in before
    fired = rule("lamp", pins=[{"item": "chair", "position": 2}])
    results = search("lamp")
    assert ids(results)[1] == "chair" and results.hits[1].pinned
    assert [hit.pinned for hit in results.hits].count(True) == 1
    assert [i for i in ids(results) if i != "chair"] == before
    assert [(r.id, r.name) for r in results.rules] == [(fired.pk, "rule lamp")]
    assert results.total == len(before) + 1
    # even outside the filters the shopper chose, and past the end of a short list
    rule("lamp", pins=[{"item": "lamp-wall", "position": 50}], position=1)
    filtered = search("lamp", item_filter=ItemFilter(categories=("Lamps",)))
    assert ids(filtered) == ["lamp-floor", "chair", "lamp-desk", "lamp-wall"]


def test_an_inactive_item_is_never_pinned(lamps: dict[str, Item]) -> None:
    rule("lamp", pins=[{"item": "chair", "position": 1}])
    Item.objects.filter(external_id="chair").update(is_active=False)
    assert "chair" not in ids(search("lamp"))


def test_a_hidden_item_is_absent(lamps: dict[str, Item]) -> None:
    assert "lamp-desk" in ids(search("lamp"))
    rule("lamp", match="contains", hide=["lamp-desk"])
    results = search("desk lamp")
    assert "lamp-desk" not in ids(results) and results.total == 2


def test_boosts_and_buries_change_the_order(lamps: dict[str, Item]) -> None:
    assert ids(search("lamp")) == ["lamp-floor", "lamp-desk", "lamp-wall"]
    rule("lamp", boosts=[{"item": "lamp-wall", "factor": 3.0}])
    assert ids(search("lamp")) == ["lamp-wall", "lamp-floor", "lamp-desk"]
    QueryRule.objects.all().delete()
    rule("lamp", boosts=[{"category": "Lamps", "factor": 0.1}])
    assert ids(search("lamp")) == ["lamp-wall", "lamp-floor", "lamp-desk"]
    QueryRule.objects.all().delete()
    rule("lamp", boosts=[{"attribute": {"color": "black"}, "factor": 5}])
    assert ids(search("lamp"))[0] == "lamp-desk"


def test_rules_outside_their_time_window_are_inert(lamps: dict[str, Item]) -> None:
    now = timezone.now()
    rule("lamp", hide=["lamp-desk"], ends_at=now - timedelta(minutes=1))
    rule("lamp", hide=["lamp-floor"], starts_at=now + timedelta(hours=1))
    rule("lamp", hide=["lamp-wall"], starts_at=now - timedelta(hours=1),
         ends_at=now + timedelta(hours=1))  # fmt: skip
    results = search("lamp")
    assert ids(results) == ["lamp-floor", "lamp-desk"]
    assert [r.name for r in results.rules] == ["rule lamp"]


def test_inactive_rules_and_other_queries_do_not_fire(lamps: dict[str, Item]) -> None:
    rule("lamp", hide=["lamp-desk"], is_active=False)
    rule("floor lamp", match="phrase", hide=["lamp-wall"])
    rule("lamp", match="equals", hide=["lamp-floor"])
    assert ids(search("lamp floor")) == ["lamp-floor", "lamp-desk", "lamp-wall"]
    assert ids(search("big floor lamp")) == ["lamp-floor", "lamp-desk"]


def test_a_category_context_needs_the_category_filter(lamps: dict[str, Item]) -> None:
    rule("lamp", categories=["Lamps"], hide=["lamp-desk"])
    assert "lamp-desk" in ids(search("lamp"))
    assert ids(search("lamp", item_filter=ItemFilter(categories=("Lamps",)))) == ["lamp-floor"]


def test_a_rule_replaces_the_query_and_sets_filters(lamps: dict[str, Item]) -> None:
    rule("seat", replace_query="chair")
    assert ids(search("seat")) == ["chair"]
    rule("lights", replace_query="lamp", filters={"category": ["Lighting"]})
    assert ids(search("lights")) == ["lamp-wall"]


def test_rules_apply_in_their_order(lamps: dict[str, Item]) -> None:
    rule("lamp", name="second", position=2, pins=[{"item": "lamp-wall", "position": 1}])
    rule("lamp", name="first", position=1, pins=[{"item": "chair", "position": 1}])
    results = search("lamp")
    assert ids(results)[:2] == ["chair", "lamp-wall"]
    assert [r.name for r in results.rules] == ["first", "second"]


def test_unknown_items_and_bad_shapes_are_clear_errors(lamps: dict[str, Item]) -> None:
    with pytest.raises(ValidationError) as unknown:
        rule("lamp", pins=[{"item": "nope", "position": 1}], hide=["lamp-desk", "gone"])
    assert unknown.value.message_dict == {
        "pins": ["No item has the external id nope."],
        "hide": ["No item has the external id gone."],
    }
    for fields in (
        {"pins": [{"item": "chair", "position": 0}]},
        {"boosts": [{"item": "chair", "factor": 0}]},
        {"boosts": [{"item": "chair", "category": "Lamps", "factor": 2}]},
        {"filters": {"price_min": "lots"}},
        {},
    ):
        with pytest.raises(ValidationError):
            rule("lamp", **fields)
    with pytest.raises(ValidationError, match="at least two"):
        two_way("sofa", "Sofa!")
    with pytest.raises(ValidationError, match="needs the term"):
        one_way("", "t-shirt")
    assert not QueryRule.objects.exists() and not SynonymGroup.objects.exists()


def test_the_compiled_set_follows_changes_made_elsewhere(
    lamps: dict[str, Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = rule("lamp", hide=["lamp-desk"])
    assert "lamp-desk" not in ids(search("lamp"))
    loads: list[int] = []
    real_load = rewrite.curation_load

    def counted_load() -> rewrite.CurationSet:
        loads.append(1)
        return real_load()

    monkeypatch.setattr(rewrite, "curation_load", counted_load)
    search("lamp")
    search("lamp")
    assert loads == []  # cached
    # another process's change (no signal here): seen once the version is checked again
    QueryRule.objects.filter(pk=made.pk).update(is_active=False, updated_at=timezone.now())
    monkeypatch.setattr(rewrite, "REFRESH_SECONDS", 0.0)
    assert "lamp-desk" in ids(search("lamp"))
    assert loads == [1]
    curation_cache.clear()


def test_solr_and_csv_round_trip() -> None:
    report = synonyms_import(
        text="# a comment\nsofa, couch , settee\ntee, shirt => t-shirt, tshirt\n\nlonely\n",
        fmt=SynonymFormat.SOLR,
    )
    assert report.created == 3 and report.problems == [
        "line 5: A two-way group needs at least two different terms."
    ]
    groups = list(SynonymGroup.objects.order_by("id"))
    assert [str(g) for g in groups] == [
        "sofa, couch, settee", "tee => t shirt, tshirt", "shirt => t shirt, tshirt"
    ]  # fmt: skip
    solr = synonyms_export(groups, fmt=SynonymFormat.SOLR)
    assert solr.splitlines()[1:] == [
        "sofa, couch, settee", "tee => t shirt, tshirt", "shirt => t shirt, tshirt"
    ]  # fmt: skip
    exported = synonyms_export(groups, fmt=SynonymFormat.CSV)
    SynonymGroup.objects.all().delete()
    again = synonyms_import(text=exported, fmt=SynonymFormat.CSV)
    assert again.created == 3 and again.problems == []
    assert [str(g) for g in SynonymGroup.objects.order_by("id")] == [str(g) for g in groups]
    bad = synonyms_import(text="a,b\n1,2\n", fmt=SynonymFormat.CSV)
    assert bad.created == 0 and "header" in bad.problems[0]
