"""How deep each ranked list is read: as deep as the page needs (k x page x the over-fetch),
and deeper only where that could hide a relevant item, so that counts stay those of a deep
read. Real Postgres + pgvector, vectors written directly (known geometry)."""

from __future__ import annotations

import math

import pytest
from django.test import override_settings

from search.fuse import NORMALISE_DEPTH, FusionMethod, FusionProfile, lists_fuse, unread_bounds
from search.profiles import profile_active
from search.query import SearchQuery
from search.retrieve import list_depth
from search.service import Ranking, query_rank
from search.types import Boost, Curation, ListKind, Ranked, RankedList, SearchMode
from tests.embeddings.fakes import GeometryProvider
from tests.search.test_service import at_angle, geometry, item, put, space

__all__ = ["geometry"]  # the autouse fixture, imported for this module


def ranked(name: str, scores: list[float], kind: ListKind = ListKind.SEMANTIC) -> RankedList:
    entries = [Ranked(item_id=i + 1, score=s) for i, s in enumerate(scores)]
    return RankedList(name=name, kind=kind, entries=entries)


def descending(count: int, top: float = 1.0, step: float = 0.01) -> list[float]:
    return [top - step * i for i in range(count)]


def test_list_depth_is_the_page_times_the_over_fetch_at_least_the_fusion_scale() -> None:
    assert list_depth(SearchQuery(text="x", k=10)) == NORMALISE_DEPTH == 40
    assert list_depth(SearchQuery(text="x", k=24)) == 96
    assert list_depth(SearchQuery(text="x", k=10, page=3)) == 120
    assert list_depth(SearchQuery(text="x", k=5)) == 40
    with override_settings(SEARCHAPP_SEARCH_OVERFETCH=2, SEARCHAPP_SEARCH_DEPTH=150):
        assert list_depth(SearchQuery(text="x", k=30)) == 60
        assert list_depth(SearchQuery(text="x", k=30, page=4)) == 150


def test_unread_bounds_per_fusion_method() -> None:
    convex = FusionProfile(method=FusionMethod.CONVEX)
    rrf = FusionProfile(method=FusionMethod.RRF, rrf_k=60)
    a, b = ranked("a", descending(40)), ranked("b", descending(40, top=0.9))
    # Convex: read as deep as its scale, what lies below adds nothing.
    assert unread_bounds([a, b], convex, depth=40) == {"a": 0.0, "b": 0.0}
    # Read shallower than its scale, the list's last entry is its own scale's floor too.
    short_a, short_b = ranked("a", descending(20)), ranked("b", descending(20, top=0.9))
    assert unread_bounds([short_a, short_b], convex, depth=20) == {"a": 0.0, "b": 0.0}
    # RRF: the next rank of every full list, scaled like the fused scores.
    assert unread_bounds([a, b], rrf, depth=40) == {
        "a": pytest.approx((1 / 101) / (2 / 61)),
        "b": pytest.approx((1 / 101) / (2 / 61)),
    }
    # A list shorter than its depth holds every match: nothing unread.
    partial = ranked("b", descending(12))
    assert unread_bounds([a, partial], rrf, depth=40) == {"a": pytest.approx((1 / 101) / (2 / 61))}
    assert unread_bounds([ranked("a", descending(5)), partial], rrf, depth=40) == {}
    # One list alone keeps its scores: its last one bounds what is below.
    assert unread_bounds([a], convex, depth=40) == {"a": pytest.approx(a.entries[-1].score)}
    # Identifier lists and lists weighted 0 take no part.
    ids = ranked("identifiers", descending(40), kind=ListKind.IDENTIFIER)
    muted = FusionProfile(method=FusionMethod.RRF, weights={"b": 0.0})
    assert unread_bounds([a, ids, b], muted, depth=40) == {"a": pytest.approx(a.entries[-1].score)}
    assert lists_fuse([a, ids, b], muted)[0].score == pytest.approx(1.0)


def circle(count: int, step: float, *, spaces: tuple[str, ...] = ("geo",)) -> None:
    """``count`` items at ``step`` degrees from each other, from the query's direction."""
    made = [space(name, alias) for name, alias in zip(spaces, ("geo", "geo-text"), strict=False)]
    GeometryProvider.table["q"] = at_angle(0)
    for n in range(count):
        target = item(f"i{n:03}")
        for made_space in made:
            put(made_space, target, at_angle(n * step))


def rank(query: SearchQuery, profile: FusionProfile | None = None, **settings: object) -> Ranking:
    with override_settings(**settings):
        return query_rank(query, profile or profile_active())


@pytest.mark.django_db
def test_hybrid_first_page_reads_forty_rows_and_counts_like_a_deep_read() -> None:
    circle(150, 0.5, spaces=("geo", "words"))
    query = SearchQuery(text="q", mode=SearchMode.HYBRID, k=10)
    with override_settings(SEARCHAPP_CUTOFF_RATIO=0.3):
        first = rank(query)
        deep = rank(query, SEARCHAPP_SEARCH_OVERFETCH=20)  # k 10 x 20 = 200 rows a list
    assert first.depth == 40 and deep.depth == 200
    assert [len(r.entries) for r in first.retrieval.lists if r.kind == ListKind.SEMANTIC] == [
        40,
        40,
    ]
    assert [e.item_id for e in first.relevant] == [e.item_id for e in deep.relevant]
    assert [e.item_id for e in first.entries] == [e.item_id for e in deep.entries]
    assert 0 < len(first.relevant) < 40


@pytest.mark.django_db
def test_reads_again_deep_where_the_page_could_hide_a_relevant_item() -> None:
    # One space alone is cut on cosine similarity (0.55 of the best): cos(n x 0.5 deg) >= 0.55
    # for n <= 113, so the first 40 rows cannot hold the relevant set.
    circle(150, 0.5)
    query = SearchQuery(text="q", mode=SearchMode.SEMANTIC, k=10)
    with override_settings(SEARCHAPP_CUTOFF_SIMILARITY_RATIO=0.55):
        wide = rank(query)
        expected = sum(1 for n in range(150) if math.cos(math.radians(n * 0.5)) >= 0.55)
        assert wide.depth == 200 and len(wide.relevant) == pytest.approx(expected, abs=1)
    # A cutoff of 0.97 keeps the first 29 (14 degrees), inside the first 40 rows.
    query_narrow = SearchQuery(text="q", mode=SearchMode.SEMANTIC, k=10, cutoff=0.97)
    narrow = rank(query_narrow)
    assert narrow.depth == 40
    assert len(narrow.relevant) == sum(
        1 for n in range(150) if math.cos(math.radians(n * 0.5)) >= 0.97
    )
    # No cutoff: every retrieved result counts, so the lists are read to the relevant depth.
    everything = rank(SearchQuery(text="q", mode=SearchMode.SEMANTIC, k=10, cutoff=0))
    assert everything.depth == 200 and len(everything.relevant) == 150


@pytest.mark.django_db
def test_rrf_and_boosts_read_deep_when_an_unread_entry_could_still_count() -> None:
    circle(150, 0.5, spaces=("geo", "words"))
    query = SearchQuery(text="q", mode=SearchMode.HYBRID, k=10)
    rrf = FusionProfile(method=FusionMethod.RRF)
    # RRF's scores fall slowly with rank: 0.3 of the best is reached far below row 40.
    with override_settings(SEARCHAPP_CUTOFF_RATIO=0.3):
        assert rank(query, rrf).depth == 200
        assert rank(query, rrf, SEARCHAPP_CUTOFF_RATIO=0.9).depth == 40
    # A boost could lift an entry from below the page over the threshold.
    convex = FusionProfile(method=FusionMethod.CONVEX)
    found = query_rank(query, convex, Curation(boosts=(Boost(factor=5.0, category="x"),)))
    assert found.depth == 40  # convex: nothing below its scale scores, boosted or not
