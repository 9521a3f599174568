"""Each space's HNSW index, of either index type: nearest items under a filter, the plan, and
the exact-scan choice."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction

from catalog.filters import ItemFilter
from catalog.models import Item
from embeddings.index import (
    exact_search_pays,
    orphan_indexes_drop,
    space_nearest,
    space_nearest_sql,
)
from embeddings.inputs import item_text
from embeddings.models import Embedding, EmbeddingSpace
from embeddings.queue import space_embed_pending
from embeddings.spaces import space_create, space_delete, space_index_type_set
from searchapp.db import vector_cursor
from tests.embeddings.factories import make_item
from tests.embeddings.fakes import fake_vector

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]


@pytest.fixture(params=EmbeddingSpace.IndexType.values)
def index_type(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def embedded_space(alias: str = "fake", index_type: str = "halfvec") -> EmbeddingSpace:
    space = space_create(name=alias, provider_alias=alias, index_type=index_type, activate=True)
    space_embed_pending(space=space)
    return space


def text_vector(item: Item, dimensions: int = 8) -> np.ndarray:
    return fake_vector(b"text:" + item_text(item).encode(), dimensions)


def test_one_row_per_item_by_its_best_source_most_similar_first(index_type: str) -> None:
    mug = make_item("mug", title="Red mug", images=2)
    lamp = make_item("lamp", title="Blue lamp", images=1, category="Lighting")
    hat = make_item("hat", title="Green hat", images=0)
    space = embedded_space(index_type=index_type)
    second_image = mug.images.get(position=1)
    query = np.array(Embedding.objects.get(space=space, image=second_image).vector)

    found = space_nearest(
        space=space, vector=query, item_filter=ItemFilter(), depth=10, exact=False
    )

    assert [n.item_id for n in found].count(mug.pk) == 1
    assert {n.item_id for n in found} == {mug.pk, lamp.pk, hat.pk}
    best = found[0]
    assert (best.item_id, best.image_id) == (mug.pk, second_image.pk)
    assert best.similarity == pytest.approx(1.0, abs=1e-3)  # halfvec precision
    assert [n.similarity for n in found] == sorted((n.similarity for n in found), reverse=True)
    by_item = {n.item_id: n for n in found}
    assert by_item[hat.pk].image_id is None  # its text is its only source
    expected = float(np.dot(query, text_vector(hat)))
    assert by_item[hat.pk].similarity == pytest.approx(expected, abs=1e-2)


def test_the_filter_and_the_item_left_out_apply_to_both_paths(index_type: str) -> None:
    mug = make_item("mug", title="Red mug", images=1, category="Kitchen")
    cup = make_item("cup", title="Tea cup", images=1, category="Kitchen")
    make_item("lamp", title="Blue lamp", images=1, category="Lighting")
    make_item("old", title="Old mug", images=0, category="Kitchen", is_active=False)
    space = embedded_space(index_type=index_type)
    query = text_vector(mug)
    kitchen = ItemFilter(categories=("Kitchen",), exclude_item_id=mug.pk)
    for exact in (False, True):
        found = space_nearest(space=space, vector=query, item_filter=kitchen, depth=10, exact=exact)
        assert [n.item_id for n in found] == [cup.pk], exact


def test_exact_and_index_paths_agree_and_ties_break_on_the_item_id(index_type: str) -> None:
    items = [make_item(f"i{n}", title=f"Item {n}", images=0) for n in range(6)]
    twin = make_item("twin", title="Item 0", images=0)  # the same text: the same vector
    space = embedded_space("fake-text", index_type)
    query = text_vector(items[0], dimensions=6)
    by_index = space_nearest(
        space=space, vector=query, item_filter=ItemFilter(), depth=7, exact=False
    )
    by_scan = space_nearest(
        space=space, vector=query, item_filter=ItemFilter(), depth=7, exact=True
    )
    assert [n.item_id for n in by_index] == [n.item_id for n in by_scan]
    assert [n.item_id for n in by_index[:2]] == [items[0].pk, twin.pk]
    assert len(space_nearest(space=space, vector=query, item_filter=ItemFilter(), depth=3,
                             exact=False)) == 3  # fmt: skip


def test_the_row_limit_grows_until_depth_items_are_found(index_type: str) -> None:
    # Two items with twelve images each: 26 rows nearer the query than the third item's
    # only row (the query is its text vector turned around), past the first 20 rows asked for.
    crowded = [make_item(f"c{n}", title=f"Crowded {n}", images=12) for n in range(2)]
    far = make_item("far", title="Far away", images=0)
    space = embedded_space(index_type=index_type)
    found = space_nearest(
        space=space, vector=-text_vector(far), item_filter=ItemFilter(), depth=3, exact=False
    )
    assert [n.item_id for n in found][-1] == far.pk
    assert {n.item_id for n in found} == {crowded[0].pk, crowded[1].pk, far.pk}
    assert found[-1].similarity == pytest.approx(-1.0, abs=1e-3)


def explain(sql: str, params: list[Any]) -> str:
    # A handful of rows: the planner is kept off what it would do for so few (scan the table
    # and sort), so the plan shows whether the space's index can serve the query at all.
    with transaction.atomic(), vector_cursor(connection) as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("exact", [False, True], ids=["index", "exact"])
def test_the_query_uses_the_space_index_unless_exact(exact: bool, index_type: str) -> None:
    make_item("mug", images=1, category="Kitchen")
    make_item("lamp", title="Blue lamp", images=1)
    space = embedded_space(index_type=index_type)
    other = embedded_space("fake-text", index_type)  # another space's index must not serve this one
    # The statement space_nearest runs, with the query vector bound as it binds it.
    sql, params = space_nearest_sql(space=space, vector=fake_vector(b"q", 8), limit=5,
                                    item_filter=ItemFilter(categories=("Kitchen",)), exact=exact)  # fmt: skip
    plan = explain(sql, params)
    assert (space.index_name in plan) is not exact, plan
    assert other.index_name not in plan


def test_exact_scan_pays_only_for_a_narrow_filter(settings: Any) -> None:
    for n in range(30):
        make_item(f"i{n}", title=f"Item {n}", images=0, category="Rare" if n == 0 else "Common")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_item")
    assert not exact_search_pays(item_filter=ItemFilter(), depth=100)
    assert not exact_search_pays(item_filter=ItemFilter(exclude_item_id=1), depth=100)
    rare = ItemFilter(categories=("Rare",))
    assert exact_search_pays(item_filter=rare, depth=100)
    settings.SEARCHAPP_EXACT_SEARCH_MAX_ITEMS = 0  # switched off
    assert not exact_search_pays(item_filter=rare, depth=100)


def space_indexes(space: EmbeddingSpace) -> dict[str, str]:
    """The space's indexes of every type that exist, by name: their definitions."""
    names = [space.index_name_of(index_type) for index_type in EmbeddingSpace.IndexType]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [names]
        )
        return dict(cursor.fetchall())


def test_a_binary_index_is_a_hamming_hnsw_on_the_quantised_vectors() -> None:
    space = space_create(name="fake", provider_alias="fake", index_type="binary")
    assert space.index_name == f"embeddings_space_{space.pk}_hnsw_binary"
    (indexdef,) = space_indexes(space).values()
    assert "USING hnsw (((binary_quantize((vector)::halfvec(8)))::bit(8)) bit_hamming_ops)" in (
        indexdef
    ), indexdef
    assert indexdef.endswith(f"WHERE (space_id = {space.pk})"), indexdef


def test_a_binary_space_returns_the_exact_cosine_top_k_after_re_ranking(settings: Any) -> None:
    # 60 items and depth 10: the first query asks for 20 rows, 80 Hamming candidates, so
    # every row is re-ranked and the answer must be the exact one.
    settings.SEARCHAPP_BINARY_RERANK = 4
    items = [make_item(f"i{n}", title=f"Item {n}", images=0) for n in range(60)]
    space = embedded_space("fake-text", "binary")
    ids = np.array([item.pk for item in items])
    matrix = np.stack([text_vector(item, dimensions=6) for item in items])
    query = fake_vector(b"a query", 6)
    cosine = matrix @ query
    exact = np.argsort(-cosine, kind="stable")[:10]
    # With 6 bits the Hamming order alone is far off: an item of the exact top 10 is
    # outside any Hamming top 20, so only the re-ranking can bring it back.
    hamming = ((matrix > 0) != (query > 0)).sum(axis=1)
    assert hamming[exact].max() > np.sort(hamming)[19]

    found = space_nearest(space=space, vector=query, item_filter=ItemFilter(), depth=10,
                          exact=False)  # fmt: skip

    assert [n.item_id for n in found] == list(ids[exact])
    assert [n.similarity for n in found] == pytest.approx(list(cosine[exact]), abs=1e-5)
    assert all(n.image_id is None for n in found)


def test_switching_the_index_type_rebuilds_the_index_and_keeps_the_answers() -> None:
    items = [make_item(f"i{n}", title=f"Item {n}", images=1) for n in range(12)]
    space = embedded_space()
    query = text_vector(items[3])
    kitchen = ItemFilter(exclude_item_id=items[0].pk)

    def nearest() -> list[int]:
        found = space_nearest(space=space, vector=query, item_filter=kitchen, depth=5, exact=False)
        return [n.item_id for n in found]

    before = nearest()
    halfvec_name = space.index_name
    space_index_type_set(space=space, index_type="binary")
    space.refresh_from_db()
    assert space.index_type == "binary"
    indexes = space_indexes(space)
    assert list(indexes) == [space.index_name] and halfvec_name not in indexes
    assert "bit_hamming_ops" in indexes[space.index_name]
    assert nearest() == before  # a small catalog: both answer exactly
    space_index_type_set(space=space, index_type="binary")  # the same type: nothing to do
    assert list(space_indexes(space)) == [space.index_name]

    space_index_type_set(space=space, index_type="halfvec")
    assert space.index_name == halfvec_name
    assert "halfvec_cosine_ops" in space_indexes(space)[halfvec_name]
    assert list(space_indexes(space)) == [halfvec_name]
    assert nearest() == before
    with pytest.raises(ValidationError):
        space_index_type_set(space=space, index_type="pq")
    space_delete(space=space)
    assert space_indexes(space) == {}


def test_indexes_of_spaces_deleted_past_space_delete_are_dropped_and_no_other() -> None:
    kept = space_create(name="kept", provider_alias="fake", activate=True)
    gone = space_create(name="gone", provider_alias="fake", activate=True)
    gone = space_index_type_set(space=gone, index_type="binary")  # a name with a suffix
    gone_names = {gone.index_name}

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s", [Embedding._meta.db_table]
            )
            return {name for (name,) in cursor.fetchall()}

    before = indexes()
    assert gone_names <= before and kept.index_name in before
    assert orphan_indexes_drop() == []  # every space still exists
    EmbeddingSpace.objects.filter(pk=gone.pk).delete()  # past space_delete, as a flush does
    assert orphan_indexes_drop() == sorted(gone_names)
    assert indexes() == before - gone_names  # the kept space's and the table's own remain
    assert orphan_indexes_drop() == []


def test_a_flush_drops_the_indexes_of_the_spaces_it_deletes() -> None:
    space = space_create(name="fake", provider_alias="fake", activate=True)

    def exists() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [space.index_name])
            return cursor.fetchone() is not None

    assert exists()
    call_command("flush", "--no-input", verbosity=0)  # deletes every row, spaces included
    assert not EmbeddingSpace.objects.exists() and not exists()
