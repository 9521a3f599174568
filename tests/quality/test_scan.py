"""Scans over vectors the test places: each kind found, stored, dismissed, reopened, fixed,
and found again incrementally."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection, transaction

from catalog import services as catalog_services
from catalog.models import Item
from embeddings.models import EmbeddingSpace
from embeddings.spaces import space_index_type_set
from quality.models import Finding, FindingKind, ScanRun
from quality.neighbours import near_pairs, self_join_sql, source_ids
from quality.services import (
    catalog_scan,
    catalog_scan_incremental,
    findings_dismiss,
    scan_run_create,
)
from tests.embeddings.factories import make_item
from tests.quality.conftest import embed

pytestmark = pytest.mark.django_db

SHOES = [
    [1, 0, 0.4, 0, 0, 0, 0],
    [1, 0, -0.4, 0, 0, 0, 0],
    [1, 0, 0, 0.4, 0, 0, 0],
    [1, 0, 0, -0.4, 0, 0, 0],
]
HATS = [
    [0, 1, 0, 0, 0.6, 0, 0],
    [0, 1, 0, 0, -0.6, 0, 0],
    [0, 1, 0, 0, 0, 0.6, 0],
    [0, 1, 0, 0, 0, -0.6, 0],
]


@pytest.fixture
def catalog(placed_item: Callable[..., Item]) -> dict[str, Item]:
    items = {f"shoe{n}": placed_item(f"shoe{n}", v, category="shoes") for n, v in enumerate(SHOES)}
    items |= {f"hat{n}": placed_item(f"hat{n}", v, category="hats") for n, v in enumerate(HATS)}
    items["copy"] = placed_item(
        "copy", [1, 0, 0.41, 0.01, 0, 0, 0], category="shoes", title="Shoe copy"
    )
    items["hat-like"] = placed_item("hat-like", [0.05, 1, 0, 0, 0.1, 0, 0], category="shoes")
    items["odd"] = placed_item("odd", [0, 0, 0, 0, 0, 0, 1], category="hats")
    return items


def findings(kind: str, status: str = "open") -> list[list[str]]:
    rows = Finding.objects.filter(kind=kind, status=status).order_by("-score")
    return [sorted(f.items.values_list("external_id", flat=True)) for f in rows]


def test_a_scan_finds_each_kind_from_placed_vectors(
    text_space: EmbeddingSpace, catalog: dict[str, Item]
) -> None:
    embed(text_space)
    run = scan_run_create()
    catalog_scan(run=run)
    assert findings(FindingKind.DUPLICATE) == [["copy", "shoe0"]]
    group = Finding.objects.get(kind=FindingKind.DUPLICATE)
    (pair,) = group.detail["pairs"]
    assert pair[:2] == sorted([catalog["copy"].pk, catalog["shoe0"].pk]) and pair[2] > 0.99
    assert findings(FindingKind.MISCATEGORISED) == [["hat-like"]]
    suggestion = Finding.objects.get(kind=FindingKind.MISCATEGORISED).detail
    assert suggestion["suggested_category"] == "hats" and suggestion["category"] == "shoes"
    assert suggestion["neighbour_votes"]["hats"] >= 3
    # The miscategorised item has no neighbour in its (wrong) category either.
    assert findings(FindingKind.OUTLIER) == [["odd"], ["hat-like"]]
    run.refresh_from_db()
    assert run.status == ScanRun.Status.DONE and run.done == run.total > 0
    assert run.counts["duplicate@text"]["found"] == 1


def self_join_plan(space: EmbeddingSpace) -> str:
    sql, params = self_join_sql(space=space, images=False, neighbours=11)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "SET LOCAL enable_sort = off"
        )  # a tiny table: make the planner show its ordered path
        cursor.execute(
            "EXPLAIN " + sql, [*params, source_ids(space=space, images=False, item_ids=None)]
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_self_join_asks_the_space_hnsw_index(
    text_space: EmbeddingSpace, catalog: dict[str, Item]
) -> None:
    embed(text_space)
    plan = self_join_plan(text_space)
    assert text_space.index_name in plan, plan


@pytest.mark.django_db(transaction=True)  # an index is built after rows were written
def test_a_binary_space_self_join_asks_its_index_and_re_ranks_to_the_same_pairs(
    text_space: EmbeddingSpace, catalog: dict[str, Item]
) -> None:
    embed(text_space)
    by_halfvec = near_pairs(space=text_space, images=False, neighbours=5, min_similarity=0.5)
    space_index_type_set(space=text_space, index_type="binary")
    plan = self_join_plan(text_space)
    assert text_space.index_name.endswith("_binary") and text_space.index_name in plan, plan
    by_binary = near_pairs(space=text_space, images=False, neighbours=5, min_similarity=0.5)
    # A few vectors: every row is re-ranked, so the pairs are the exact ones (halfvec's up
    # to its precision) and similarities are cosine ones, not Hamming distances.
    assert by_binary.keys() == by_halfvec.keys() and len(by_binary) > 5
    for pair, similarity in by_binary.items():
        assert similarity == pytest.approx(by_halfvec[pair], abs=1e-3)


def test_a_dismissed_finding_stays_dismissed_until_its_items_change(
    text_space: EmbeddingSpace, catalog: dict[str, Item], geometry: dict[str, list[float]]
) -> None:
    embed(text_space)
    catalog_scan()
    findings_dismiss(findings=list(Finding.objects.filter(kind=FindingKind.DUPLICATE)))
    catalog_scan()
    assert findings(FindingKind.DUPLICATE, "dismissed") == [["copy", "shoe0"]]
    assert findings(FindingKind.DUPLICATE) == []
    copy = catalog["copy"]
    catalog_services.item_update(item=copy, title="Shoe copy, edited")
    from embeddings.inputs import item_text

    geometry[item_text(copy)] = [1, 0, 0.41, 0, 0, 0, 0]
    embed(text_space)
    catalog_scan()
    assert findings(FindingKind.DUPLICATE) == [["copy", "shoe0"]]


def test_deactivating_the_copies_fixes_the_group_and_a_rescan_keeps_it_fixed(
    text_space: EmbeddingSpace, catalog: dict[str, Item]
) -> None:
    from quality.services import finding_duplicates_deactivate

    embed(text_space)
    catalog_scan()
    group = Finding.objects.get(kind=FindingKind.DUPLICATE)
    deactivated = finding_duplicates_deactivate(finding=group)
    assert [item.external_id for item in deactivated] == ["copy"]  # the oldest is kept
    assert not Item.objects.get(external_id="copy").is_active
    catalog_scan()
    assert findings(FindingKind.DUPLICATE, "fixed") == [["copy", "shoe0"]]
    assert findings(FindingKind.DUPLICATE) == []


def test_moving_to_the_suggested_category_fixes_the_finding(
    text_space: EmbeddingSpace, catalog: dict[str, Item], geometry: dict[str, list[float]]
) -> None:
    from embeddings.inputs import item_text
    from quality.services import finding_category_apply

    embed(text_space)
    catalog_scan()
    finding = Finding.objects.get(kind=FindingKind.MISCATEGORISED)
    item = finding_category_apply(finding=finding)
    assert item is not None and item.category == "hats"
    geometry[item_text(item)] = [0.05, 1, 0, 0, 0.1, 0, 0]
    embed(text_space)
    catalog_scan_incremental()
    assert findings(FindingKind.MISCATEGORISED) == []
    assert Finding.objects.get(pk=finding.pk).status == Finding.Status.FIXED


def test_an_incremental_scan_looks_only_at_what_changed_and_joins_existing_groups(
    text_space: EmbeddingSpace, catalog: dict[str, Item], placed_item: Callable[..., Item]
) -> None:
    embed(text_space)
    assert catalog_scan_incremental() is not None  # the first one is a full scan
    assert catalog_scan_incremental() is None  # nothing changed since
    placed_item("copy2", [1, 0, 0.405, 0.005, 0, 0, 0], category="shoes", title="Shoe copy two")
    embed(text_space)
    report = catalog_scan_incremental()
    assert report is not None
    assert findings(FindingKind.DUPLICATE) == [["copy", "copy2", "shoe0"]]
    assert findings(FindingKind.DUPLICATE, "fixed") == [["copy", "shoe0"]]
    last = ScanRun.objects.order_by("-pk").first()
    assert last is not None and last.incremental and last.total == 1  # one vector asked


def test_items_sharing_an_image_file_are_one_group(geometry: dict[str, list[float]]) -> None:
    first = make_item("a", images=1)
    from catalog.images import image_from_bytes
    from tests.conftest import make_image_bytes

    same = image_from_bytes(make_image_bytes(color=(10, 200, 10)))
    one = catalog_services.item_create(external_id="one", title="One", images=[same])
    two = catalog_services.item_create(external_id="two", title="Two", images=[same])
    catalog_scan(spaces=[])
    assert findings(FindingKind.SAME_IMAGE) == [["one", "two"]]
    assert first.pk not in Finding.objects.get().items.values_list("pk", flat=True)
    assert {one.pk, two.pk} == set(Finding.objects.get().items.values_list("pk", flat=True))
