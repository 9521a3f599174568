"""Each space's HNSW index: nearest items under a filter, the plan, and the exact-scan choice."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.filters import ItemFilter
from catalog.models import Item
from embeddings.index import exact_search_pays, space_nearest
from embeddings.inputs import item_text
from embeddings.models import Embedding, EmbeddingSpace
from embeddings.queue import space_embed_pending
from embeddings.spaces import space_create
from tests.embeddings.factories import make_item
from tests.embeddings.fakes import fake_vector

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]


def embedded_space(alias: str = "fake") -> EmbeddingSpace:
    space = space_create(name=alias, provider_alias=alias, activate=True)
    space_embed_pending(space=space)
    return space


def text_vector(item: Item, dimensions: int = 8) -> np.ndarray:
    return fake_vector(b"text:" + item_text(item).encode(), dimensions)


def test_one_row_per_item_by_its_best_source_most_similar_first() -> None:
    mug = make_item("mug", title="Red mug", images=2)
    lamp = make_item("lamp", title="Blue lamp", images=1, category="Lighting")
    hat = make_item("hat", title="Green hat", images=0)
    space = embedded_space()
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


def test_the_filter_and_the_item_left_out_apply_to_both_paths() -> None:
    mug = make_item("mug", title="Red mug", images=1, category="Kitchen")
    cup = make_item("cup", title="Tea cup", images=1, category="Kitchen")
    make_item("lamp", title="Blue lamp", images=1, category="Lighting")
    make_item("old", title="Old mug", images=0, category="Kitchen", is_active=False)
    space = embedded_space()
    query = text_vector(mug)
    kitchen = ItemFilter(categories=("Kitchen",), exclude_item_id=mug.pk)
    for exact in (False, True):
        found = space_nearest(space=space, vector=query, item_filter=kitchen, depth=10, exact=exact)
        assert [n.item_id for n in found] == [cup.pk], exact


def test_exact_and_index_paths_agree_and_ties_break_on_the_item_id() -> None:
    items = [make_item(f"i{n}", title=f"Item {n}", images=0) for n in range(6)]
    twin = make_item("twin", title="Item 0", images=0)  # the same text: the same vector
    space = embedded_space("fake-text")
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


def test_the_row_limit_grows_until_depth_items_are_found() -> None:
    # Two items with twelve images each: 26 rows nearer the query than the third item's
    # only row (the query is its text vector turned around), past the first 20 rows asked for.
    crowded = [make_item(f"c{n}", title=f"Crowded {n}", images=12) for n in range(2)]
    far = make_item("far", title="Far away", images=0)
    space = embedded_space()
    found = space_nearest(
        space=space, vector=-text_vector(far), item_filter=ItemFilter(), depth=3, exact=False
    )
    assert [n.item_id for n in found][-1] == far.pk
    assert {n.item_id for n in found} == {crowded[0].pk, crowded[1].pk, far.pk}
    assert found[-1].similarity == pytest.approx(-1.0, abs=1e-3)


def explain(sql: str) -> str:
    # A handful of rows: the planner is kept off what it would do for so few (scan the table
    # and sort), so the plan shows whether the space's index can serve the query at all.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("exact", [False, True], ids=["index", "exact"])
def test_the_query_uses_the_space_index_unless_exact(exact: bool) -> None:
    make_item("mug", images=1, category="Kitchen")
    make_item("lamp", title="Blue lamp", images=1)
    space = embedded_space()
    other = embedded_space("fake-text")  # another space's index must not serve this one
    with CaptureQueriesContext(connection) as queries:
        space_nearest(space=space, vector=fake_vector(b"q", 8),
                      item_filter=ItemFilter(categories=("Kitchen",)), depth=5, exact=exact)  # fmt: skip
    (nearest,) = [q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"]]
    plan = explain(nearest)
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
