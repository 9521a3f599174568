"""The search service against real Postgres + pgvector, with vectors written directly
(known geometry) so that ranking, fusion, filters, collapsing, paging and the score floor
are asserted exactly."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction
from django.test import override_settings

from catalog import services as catalog_services
from catalog.filters import ItemFilter
from catalog.models import Item
from embeddings import queue as embedding_queue
from embeddings import spaces as embedding_spaces
from embeddings.index import exact_search_pays, space_nearest_sql
from embeddings.models import Embedding, EmbeddingSpace
from embeddings.providers.base import ProviderError, TransientProviderError
from embeddings.query import query_vector_cache
from search.fuse import FusionMethod, FusionProfile
from search.query import SearchQuery
from search.service import item_search
from search.types import SearchMode
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes
from tests.embeddings.fakes import GeometryProvider

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_cutoff")]
GEOMETRY = "tests.embeddings.fakes.GeometryProvider"
PROVIDERS = {
    "geo": {"BACKEND": GEOMETRY, "OPTIONS": {"dimensions": 3}},
    "geo-text": {"BACKEND": GEOMETRY, "OPTIONS": {"dimensions": 3, "image": False}},
}


@pytest.fixture(autouse=True)
def geometry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    GeometryProvider.table = {}
    GeometryProvider.fail_with = None
    query_vector_cache.clear()
    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)
    with override_settings(EMBEDDING_PROVIDERS=PROVIDERS):
        yield
    GeometryProvider.fail_with = None
    query_vector_cache.clear()


def unit(*values: float) -> list[float]:
    vector = np.asarray(values, dtype=np.float64)
    return list(vector / np.linalg.norm(vector))


def at_angle(degrees: float) -> list[float]:
    """A unit vector in the x-y plane at this angle from the x axis."""
    radians = math.radians(degrees)
    return [math.cos(radians), math.sin(radians), 0.0]


def space(name: str = "geo", alias: str = "geo") -> EmbeddingSpace:
    return embedding_spaces.space_create(name=name, provider_alias=alias, activate=True)


def item(external_id: str, **fields: Any) -> Item:
    fields.setdefault("title", external_id)
    return catalog_services.item_create(external_id=external_id, **fields)


def put(
    space: EmbeddingSpace, item: Item, vector: list[float], image_id: int | None = None
) -> None:
    Embedding.objects.update_or_create(
        space=space,
        item=item,
        image_id=image_id,
        defaults={"vector": vector, "input_sha256": "x" * 64},
    )


def search(**kwargs: Any) -> Any:
    kwargs.setdefault("mode", SearchMode.SEMANTIC)
    return item_search(query=SearchQuery(**kwargs))


def titles(results: Any) -> list[str]:
    return [hit.item.title for hit in results.hits]


def test_semantic_ranking_follows_cosine_similarity_exactly() -> None:
    geo = space()
    GeometryProvider.table["north"] = at_angle(0)
    for degrees in (50, 10, 80, 30):
        put(geo, item(f"deg{degrees}"), at_angle(degrees))
    results = search(text="north", k=10)
    assert titles(results) == ["deg10", "deg30", "deg50", "deg80"]
    for hit, degrees in zip(results.hits, (10, 30, 50, 80), strict=True):
        assert hit.score == pytest.approx(
            math.cos(math.radians(degrees)), abs=2e-3
        )  # halfvec precision
        assert hit.similarity == pytest.approx(hit.score, abs=1e-6)
    assert results.mode == "semantic" and results.spaces == ["geo"] and results.skipped == []


def test_hits_collapse_to_one_row_per_item_with_the_best_source() -> None:
    geo = space()
    GeometryProvider.table["q"] = at_angle(0)
    pictured = item(
        "pictured", images=[image_from_bytes(make_image_bytes(color=(n, 0, 0))) for n in (1, 2)]
    )
    first, second = pictured.images.all()
    put(geo, pictured, at_angle(60))  # its text is far
    put(geo, pictured, at_angle(20), image_id=first.pk)  # one picture is close
    put(geo, pictured, at_angle(40), image_id=second.pk)
    put(geo, item("plain"), at_angle(30))
    results = search(text="q")
    assert [(hit.item.title, hit.matched) for hit in results.hits] == [
        ("pictured", "image"),
        ("plain", "text"),
    ]
    assert results.hits[0].score == pytest.approx(math.cos(math.radians(20)), abs=2e-3)
    assert results.total == 2


def test_image_query_and_text_plus_image_fusion() -> None:
    geo = space()
    query_image = image_from_bytes(make_image_bytes(color=(9, 9, 9)))
    GeometryProvider.table["red"] = at_angle(0)
    GeometryProvider.table["image:" + hashlib.sha256(query_image.data).hexdigest()] = at_angle(90)
    for degrees in (0, 45, 90):
        put(geo, item(f"deg{degrees}"), at_angle(degrees))
    assert titles(search(image=query_image))[0] == "deg90"
    both = search(text="red", image=query_image)  # equal weights: halfway, 45 degrees
    assert titles(both)[0] == "deg45" and both.hits[0].score == pytest.approx(1.0, abs=2e-3)
    leaning = search(text="red", image=query_image, image_weight=0.2)
    assert titles(leaning)[0] == "deg0"


def test_negative_text_pushes_results_away() -> None:
    geo = space()
    GeometryProvider.table.update({"mug": at_angle(45), "red": at_angle(90)})
    put(geo, item("blue mug"), at_angle(10))
    put(geo, item("red mug"), at_angle(75))
    assert titles(search(text="mug"))[0] == "red mug"  # 30 degrees away, the blue one 35
    assert titles(search(text="mug", negative_text="red", negative_weight=0.8))[0] == "blue mug"


def test_more_like_this_uses_the_items_vectors_and_excludes_it() -> None:
    geo = space()
    anchor = item("anchor")
    put(geo, anchor, at_angle(0))
    for degrees in (70, 15, 40):
        put(geo, item(f"deg{degrees}"), at_angle(degrees))
    results = search(item_id=anchor.pk)
    assert titles(results) == ["deg15", "deg40", "deg70"]


def test_filters_category_price_attributes_and_inactive() -> None:
    geo = space()
    GeometryProvider.table["q"] = at_angle(0)
    rows = [
        ("a", "Kitchen", "5", {"color": "red"}, True),
        ("b", "Kitchen", "50", {"color": "blue"}, True),
        ("c", "Garden", "20", {"color": "red"}, True),
        ("d", "Kitchen", "20", {"color": "red"}, False),
    ]
    for n, (name, category, price, attributes, active) in enumerate(rows):
        put(geo, item(name, category=category, price=Decimal(price), attributes=attributes, is_active=active),
            at_angle(n * 10))  # fmt: skip

    def names(**filters: Any) -> list[str]:
        return titles(search(text="q", item_filter=ItemFilter(**filters)))

    assert names() == ["a", "b", "c"]
    assert names(categories=("Kitchen",)) == ["a", "b"]
    assert names(categories=("Kitchen", "Garden"), price_min=Decimal("10")) == ["b", "c"]
    assert names(price_max=Decimal("20")) == ["a", "c"]
    assert names(attributes=(("color", "red"),)) == ["a", "c"]
    assert names(include_inactive=True) == ["a", "b", "c", "d"]


def test_paging_is_stable_and_the_score_floor_is_relative_to_the_best() -> None:
    geo = space()
    GeometryProvider.table["q"] = at_angle(0)
    for degrees in range(0, 90, 3):  # 30 items
        put(geo, item(f"deg{degrees:02}"), at_angle(degrees))
    pages = [search(text="q", k=7, page=page) for page in (1, 2, 5)]
    assert titles(pages[0]) == [f"deg{d:02}" for d in range(0, 21, 3)]
    assert titles(pages[1]) == [f"deg{d:02}" for d in range(21, 42, 3)]
    assert titles(pages[2]) == ["deg84", "deg87"] and not pages[2].has_next and pages[0].has_next
    assert pages[0].total == 30
    floored = search(text="q", k=50, min_score_ratio=0.9)  # cos >= 0.9: within ~25.8 degrees
    assert titles(floored) == [f"deg{d:02}" for d in range(0, 26, 3)]


def test_hybrid_fuses_spaces_and_lexical_by_weighted_reciprocal_rank() -> None:
    geo, words = space("geo", "geo"), space("words", "geo-text")
    GeometryProvider.table["ceramic teapot"] = at_angle(0)
    teapot = item("teapot", title="Ceramic teapot")
    kettle = item("kettle", title="Steel kettle")
    cup = item("cup", title="Tea cup")
    for target, (a, b) in {teapot: (30, 10), kettle: (10, 20), cup: (20, 30)}.items():
        put(geo, target, at_angle(a))
        put(words, target, at_angle(b))
    weights = {"geo": 2.0, "words": 1.0, "lexical": 1.0, "trigram": 0.0}
    profile = FusionProfile(weights=weights)
    query = SearchQuery(text="ceramic teapot", mode=SearchMode.HYBRID)
    results = item_search(query=query, profile=profile)
    # ranks: geo kettle1 cup2 teapot3 (weight 2); words teapot1 kettle2 cup3; lexical teapot1;
    # the fuzzy title list weighs 0 and takes no part.
    expected = {
        "Ceramic teapot": 2 / 63 + 1 / 61 + 1 / 61,
        "Steel kettle": 2 / 61 + 1 / 62,
        "Tea cup": 2 / 62 + 1 / 63,
    }
    assert titles(results) == ["Ceramic teapot", "Steel kettle", "Tea cup"]
    for hit in results.hits:
        assert hit.score == pytest.approx(expected[hit.item.title] / (4 / 61), abs=1e-6)
    assert results.spaces == ["geo", "words"] and results.mode == "hybrid"
    # Weight the first space alone up and it decides; k = 0 makes rank 1 worth 1.
    alone = FusionProfile(weights={**weights, "geo": 10.0}, rrf_k=0)
    top = item_search(query=query, profile=alone).hits
    assert [hit.item.title for hit in top][0] == "Steel kettle"
    assert top[0].score == pytest.approx((10 / 1 + 1 / 2) / 12, abs=1e-6)
    # Convex combination: min-max normalised scores, weighted, over the weights' sum (the
    # vectors are compared in half precision, hence the tolerance).
    convex = FusionProfile(method=FusionMethod.CONVEX, weights={**weights, "lexical": 0.0})
    fused = {h.item.title: h.score for h in item_search(query=query, profile=convex).hits}
    cos = {d: math.cos(math.radians(d)) for d in (10, 20, 30)}
    geo_norm = {d: (cos[d] - cos[30]) / (cos[10] - cos[30]) for d in (10, 20, 30)}
    assert fused["Steel kettle"] == pytest.approx((2 * geo_norm[10] + geo_norm[20]) / 3, abs=2e-3)
    assert fused["Ceramic teapot"] == pytest.approx((2 * geo_norm[30] + geo_norm[10]) / 3, abs=2e-3)
    assert fused["Tea cup"] == pytest.approx((2 * geo_norm[20] + geo_norm[30]) / 3, abs=2e-3)


def test_lexical_mode_ranks_title_over_description_and_honours_filters() -> None:
    item("lamp", title="Desk lamp", description="Bright light.", category="Lighting")
    item("shade", title="Lamp shade", description="Fits a desk lamp.", category="Lighting")
    item("desk", title="Oak desk", description="Room for a lamp.", category="Furniture")
    results = search(text="desk lamp", mode=SearchMode.LEXICAL)
    assert titles(results) == ["Desk lamp", "Lamp shade", "Oak desk"]
    assert titles(search(text="desk lamp", mode=SearchMode.LEXICAL, negative_text="shade")) == [
        "Desk lamp", "Oak desk"
    ]  # fmt: skip
    lighting = search(
        text="lamp", mode=SearchMode.LEXICAL, item_filter=ItemFilter(categories=("Lighting",))
    )
    assert sorted(titles(lighting)) == ["Desk lamp", "Lamp shade"]
    for odd in ["&|!:*' ()", "___", "a the of", "'; DROP TABLE catalog_item; --", "😀 مرحبا"]:
        assert search(text=odd, mode=SearchMode.LEXICAL).total >= 0


def test_a_failing_provider_is_skipped_and_search_falls_back_to_lexical() -> None:
    geo = space()
    item("lamp", title="Desk lamp")
    put(geo, Item.objects.get(), at_angle(0))
    GeometryProvider.fail_with = TransientProviderError("geo", "503 from the vendor")
    hybrid = search(text="desk lamp", mode=SearchMode.HYBRID)
    assert titles(hybrid) == ["Desk lamp"] and hybrid.spaces == []
    assert [(s.part, s.reason) for s in hybrid.skipped][0] == ("geo", "geo: 503 from the vendor")
    semantic = search(text="desk lamp")
    assert semantic.mode == "lexical" and titles(semantic) == ["Desk lamp"]
    assert {s.part for s in semantic.skipped} == {"geo", "semantic"}
    GeometryProvider.fail_with = ProviderError("geo", "model missing")
    assert search(image=image_from_bytes(make_image_bytes())).hits == []


def test_text_query_vectors_are_cached_per_model() -> None:
    geo = space()
    put(geo, item("x"), at_angle(0))
    GeometryProvider.table["cached"] = at_angle(0)
    search(text="cached")
    del GeometryProvider.table["cached"]  # a second call to the provider would fail
    assert titles(search(text="cached")) == ["x"]


def test_the_hnsw_index_serves_searches_and_iterative_scans_fill_filtered_pages() -> None:
    geo = space()
    rng = np.random.default_rng(3)
    items = Item.objects.bulk_create(
        Item(
            external_id=f"bulk{n}",
            title=f"bulk {n}",
            category="Rare" if n % 20 == 0 else "Common",
            attributes={"tier": "rare" if n % 20 == 0 else "common"},
        )
        for n in range(4000)
    )
    vectors = rng.standard_normal((4000, 3))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    Embedding.objects.bulk_create(
        Embedding(space=geo, item=it, vector=list(v), input_sha256="x" * 64)
        for it, v in zip(items, vectors, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE embeddings_embedding")
        cursor.execute("ANALYZE catalog_item")

    def plan(filters: ItemFilter, exact: bool = False) -> str:
        sql, params = space_nearest_sql(
            space=geo, item_filter=filters, vector="[1,0,0]", limit=40, exact=exact
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    index_scan = f"Index Scan using {geo.index_name}"
    assert index_scan in plan(ItemFilter())
    # With a filter on 4,000 rows the planner rightly prefers an exact scan of the matching
    # items; at benchmark sizes it takes the index. Force the index path here to show that
    # pgvector's iterative scans keep a filtered index scan from coming back short: 5% of
    # the items match, HNSW with ef_search 40 alone finds about 2 of them.
    rare_tier = ItemFilter(attributes=(("tier", "rare"),))
    GeometryProvider.table["q"] = [1.0, 0.0, 0.0]
    similarity = {it.pk: float(v[0]) for it, v in zip(items, vectors, strict=True)}
    rare_ids = [it.pk for n, it in enumerate(items) if n % 20 == 0]
    expected = sorted(rare_ids, key=lambda pk: -similarity[pk])[:20]
    # 200 matching items: answered exactly, without the index...
    assert exact_search_pays(item_filter=rare_tier, depth=100)
    assert exact_search_pays(item_filter=ItemFilter(categories=("Rare",)), depth=100)
    # 3,800 of 4,000 items: the index finds 100 of them after a few skips.
    assert not exact_search_pays(item_filter=ItemFilter(categories=("Common",)), depth=100)
    with override_settings(SEARCHAPP_EXACT_SEARCH_MAX_ITEMS=100):
        assert not exact_search_pays(item_filter=rare_tier, depth=100)  # the cap holds
    assert not exact_search_pays(
        item_filter=ItemFilter(), depth=100
    )  # no filter: the index, always
    assert index_scan not in plan(rare_tier, exact=True)
    # ...unless exact scans are switched off, when the (forced) index path must fill the page.
    for force_index in (False, True):
        with (
            transaction.atomic(),
            override_settings(
                SEARCHAPP_HNSW_EF_SEARCH=40,
                SEARCHAPP_EXACT_SEARCH_MAX_ITEMS=0 if force_index else 20000,
            ),
        ):
            if force_index:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_seqscan = off")
                    cursor.execute("SET LOCAL enable_hashjoin = off")
                    cursor.execute("SET LOCAL enable_sort = off")
                assert index_scan in plan(rare_tier)
            for filters in (rare_tier, ItemFilter(categories=("Rare",))):
                rare = search(text="q", k=20, item_filter=filters)
                assert [hit.item.pk for hit in rare.hits] == expected
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = space_nearest_sql(
            space=geo, item_filter=rare_tier, vector="[1,0,0]", limit=20, exact=False
        )
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL hnsw.ef_search = 40")
        cursor.execute("SET LOCAL hnsw.iterative_scan = off")
        cursor.execute(sql, params)
        assert len(cursor.fetchall()) < 20  # the failure iterative scans prevent


def test_search_command_prints_a_table(tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    geo = space()
    GeometryProvider.table["north"] = at_angle(0)
    query_image = make_image_bytes(color=(1, 2, 3))
    GeometryProvider.table["image:" + hashlib.sha256(query_image).hexdigest()] = at_angle(80)
    put(geo, item("near", category="Kitchen", price=Decimal("3.50")), at_angle(10))
    put(geo, item("far"), at_angle(80))
    out = StringIO()
    call_command("search", "north", "--mode", "semantic", "--k", "5", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("semantic search, spaces: geo; 2 results")
    assert lines[1].split()[:4] == ["#", "score", "sim", "match"]
    assert (
        lines[2].split()[0] == "1"
        and lines[2].endswith("near")
        and "Kitchen" in lines[2]
        and "3.50" in lines[2]
    )
    picture = tmp_path / "q.png"
    picture.write_bytes(query_image)
    out = StringIO()
    call_command("search", "--image", str(picture), "--mode", "semantic", stdout=out)
    assert out.getvalue().splitlines()[2].endswith("far")
    with pytest.raises(CommandError, match="Give something to search for"):
        call_command("search", stdout=out)
    (tmp_path / "bad.png").write_bytes(b"nope")
    with pytest.raises(CommandError, match="not an image"):
        call_command("search", "--image", str(tmp_path / "bad.png"), stdout=out)
