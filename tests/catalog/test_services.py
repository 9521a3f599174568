from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from catalog import selectors, services
from catalog.filters import ItemFilter
from catalog.models import Item, ItemImage
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_create_with_images_stores_files_and_metadata(settings) -> None:
    png = image_from_bytes(make_image_bytes("PNG", size=(40, 30)))
    jpeg = image_from_bytes(make_image_bytes("JPEG", size=(20, 10)))
    item = services.item_create(
        external_id="sku-1",
        title="Red mug",
        description="A mug.",
        category="Kitchen",
        price=Decimal("12.50"),
        attributes={"color": "red"},
        images=[png, jpeg],
    )
    images = list(item.images.all())
    assert [(i.width, i.height, i.content_type, i.position) for i in images] == [
        (40, 30, "image/png", 0),
        (20, 10, "image/jpeg", 1),
    ]
    assert images[0].sha256 == png.sha256
    assert default_storage.open(str(images[0].image.name)).read() == png.data
    assert images[0].image.name == f"items/{item.pk}/{png.sha256}.png"
    assert len(stored_files(settings)) == 2


def test_full_text_column_weights_title_over_description() -> None:
    services.item_create(external_id="a", title="Lamp", description="A lamp with a shade.")
    services.item_create(external_id="b", title="Shade", description="Fits any lamp.")
    from django.contrib.postgres.search import SearchQuery, SearchRank
    from django.db.models import F

    ranked = list(
        Item.objects.filter(search_vector=SearchQuery("shade", config="english"))
        .annotate(rank=SearchRank(F("search_vector"), SearchQuery("shade", config="english")))
        .order_by("-rank")
        .values_list("external_id", flat=True)
    )
    assert ranked == ["b", "a"]


def test_duplicate_external_id_is_a_validation_error_and_stores_nothing(settings) -> None:
    services.item_create(external_id="dup", title="First")
    image = image_from_bytes(make_image_bytes())
    with pytest.raises(ValidationError) as exc:
        services.item_create(external_id="dup", title="Second", images=[image])
    assert "already exists" in exc.value.message_dict["external_id"][0]
    assert Item.objects.count() == 1 and ItemImage.objects.count() == 0
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "nul\x00byte"}, "title"),
        ({"price": Decimal("-1")}, "price"),
        ({"price": Decimal("NaN")}, "price"),
        ({"price": Decimal("1e20")}, "price"),
        ({"attributes": ["not", "an", "object"]}, "attributes"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_invalid_fields_store_nothing(fields: dict, field: str, settings) -> None:
    values = {"external_id": "e1", "title": "Valid", **fields}
    with pytest.raises(ValidationError) as exc:
        services.item_create(**values, images=[image_from_bytes(make_image_bytes())])
    assert field in exc.value.message_dict
    assert Item.objects.count() == 0 and stored_files(settings) == []


def test_failure_while_storing_images_removes_written_files(settings, monkeypatch) -> None:
    good = image_from_bytes(make_image_bytes(color=(1, 2, 3)))
    other = image_from_bytes(make_image_bytes(color=(4, 5, 6)))
    calls = {"n": 0}
    original = ItemImage.save

    def failing_save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ItemImage, "save", failing_save)
    with pytest.raises(RuntimeError):
        services.item_create(external_id="x", title="X", images=[good, other])
    assert Item.objects.count() == 0 and ItemImage.objects.count() == 0
    assert stored_files(settings) == []


def test_update_changes_fields_and_refreshes_search_vector() -> None:
    item = services.item_create(external_id="u", title="Old name")
    services.item_update(item=item, title="Brand new kettle", price=Decimal("3"))
    item.refresh_from_db()
    assert item.title == "Brand new kettle" and item.price == Decimal("3.00")
    assert "kettl" in str(item.search_vector)


def test_update_rejects_unknown_fields_and_duplicates() -> None:
    services.item_create(external_id="one", title="One")
    two = services.item_create(external_id="two", title="Two")
    with pytest.raises(ValidationError):
        services.item_update(item=two, colour="red")
    with pytest.raises(ValidationError):
        services.item_update(item=two, external_id="one")
    two.refresh_from_db()
    assert two.external_id == "two"


def test_add_image_is_idempotent_per_item_and_positions_follow(settings) -> None:
    item = services.item_create(external_id="i", title="I")
    first, created = services.item_image_add(
        item=item, image=image_from_bytes(make_image_bytes(color=(9, 9, 9)))
    )
    again, created_again = services.item_image_add(
        item=item, image=image_from_bytes(make_image_bytes(color=(9, 9, 9)))
    )
    second, _ = services.item_image_add(
        item=item, image=image_from_bytes(make_image_bytes(color=(1, 1, 1)))
    )
    assert first.pk == again.pk and created and not created_again
    assert (first.position, second.position) == (0, 1)
    assert len(stored_files(settings)) == 2


def test_image_count_limit(settings) -> None:
    settings.SEARCHAPP_MAX_IMAGES_PER_ITEM = 1
    item = services.item_create(
        external_id="i", title="I", images=[image_from_bytes(make_image_bytes())]
    )
    with pytest.raises(ValidationError):
        services.item_image_add(
            item=item, image=image_from_bytes(make_image_bytes(color=(0, 0, 1)))
        )
    assert item.images.count() == 1


def test_delete_removes_rows_and_files_after_commit(settings) -> None:
    item = services.item_create(
        external_id="d", title="D", images=[image_from_bytes(make_image_bytes())]
    )
    assert len(stored_files(settings)) == 1
    services.item_delete(item=item)
    assert Item.objects.count() == 0 and ItemImage.objects.count() == 0
    assert stored_files(settings) == []


def test_image_delete_removes_file(settings) -> None:
    item = services.item_create(
        external_id="d", title="D", images=[image_from_bytes(make_image_bytes())]
    )
    services.item_image_delete(item_image=item.images.get())
    assert stored_files(settings) == [] and item.images.count() == 0


def test_selectors_filter_and_hide_inactive() -> None:
    services.item_create(external_id="a", title="A", category="Kitchen", price=Decimal("5"))
    services.item_create(external_id="b", title="B", category="Kitchen", price=Decimal("50"))
    services.item_create(external_id="c", title="C", category="Garden", price=Decimal("20"))
    services.item_create(external_id="d", title="D", category="Kitchen", is_active=False)

    def ids(**kw):
        return sorted(
            selectors.item_list(item_filter=ItemFilter(**kw)).values_list("external_id", flat=True)
        )

    assert ids() == ["a", "b", "c"]
    assert ids(include_inactive=True) == ["a", "b", "c", "d"]
    assert ids(categories=("Kitchen",)) == ["a", "b"]
    assert ids(price_min=Decimal("10")) == ["b", "c"]
    assert ids(price_min=Decimal("10"), price_max=Decimal("30")) == ["c"]
    assert selectors.item_categories() == ["Garden", "Kitchen"]
    inactive = Item.objects.get(external_id="d")
    assert selectors.item_get(item_id=inactive.pk) is None
    assert selectors.item_get(item_id=inactive.pk, include_inactive=True) == inactive


def test_upsert_creates_then_updates_then_leaves_an_unchanged_item_alone(settings) -> None:
    red = image_from_bytes(make_image_bytes(color=(200, 0, 0)))
    blue = image_from_bytes(make_image_bytes(color=(0, 0, 200)))
    fields = {"title": " Mug ", "price": Decimal("3.5")}
    created = services.item_upsert(external_id="u", fields=fields, images=[red, red])
    assert created.outcome == "created" and created.item is not None
    assert created.item.title == "Mug" and created.item.images.count() == 1
    stamp = Item.objects.get().updated_at

    again = services.item_upsert(external_id="u", fields=fields, images=[red])
    assert (again.outcome, again.images_added) == ("unchanged", 0)
    assert Item.objects.get().updated_at == stamp

    changed = services.item_upsert(
        external_id="u", fields={**fields, "price": Decimal("4")}, images=[red, blue]
    )
    assert (changed.outcome, changed.images_added) == ("updated", 1)
    item = Item.objects.get()
    assert item.price == Decimal("4.00") and item.updated_at > stamp
    assert [(i.sha256, i.position) for i in item.images.all()] == [
        (red.sha256, 0),
        (blue.sha256, 1),
    ]
    assert len(stored_files(settings)) == 2


def test_upsert_dry_run_checks_everything_and_writes_nothing(settings) -> None:
    settings.SEARCHAPP_MAX_IMAGES_PER_ITEM = 1
    red = image_from_bytes(make_image_bytes(color=(200, 0, 0)))
    blue = image_from_bytes(make_image_bytes(color=(0, 0, 200)))
    result = services.item_upsert(external_id="d", fields={"title": "D"}, dry_run=True)
    assert (result.outcome, result.item) == ("created", None)
    with pytest.raises(ValidationError, match="at most 1 images"):
        services.item_upsert(
            external_id="d", fields={"title": "D"}, images=[red, blue], dry_run=True
        )
    services.item_upsert(external_id="d", fields={"title": "D"}, images=[red])
    result = services.item_upsert(external_id="d", fields={"title": "E"}, dry_run=True)
    assert result.outcome == "updated"
    assert Item.objects.get().title == "D" and len(stored_files(settings)) == 1


def test_upsert_refusing_an_existing_external_id_and_renaming_by_item() -> None:
    first = services.item_create(external_id="a", title="A")
    services.item_create(external_id="b", title="B")
    with pytest.raises(ValidationError, match="already exists"):
        services.item_upsert(external_id=" a ", fields={"title": "Z"}, if_exists="refuse")
    with pytest.raises(ValidationError, match="already exists"):
        services.item_upsert(item=first, external_id="b")
    renamed = services.item_upsert(item=first, external_id="c", fields={"title": "C"})
    assert renamed.outcome == "updated"
    assert sorted(Item.objects.values_list("external_id", "title")) == [("b", "B"), ("c", "C")]


def test_upsert_that_breaks_the_image_limit_on_update_stores_nothing(settings) -> None:
    settings.SEARCHAPP_MAX_IMAGES_PER_ITEM = 1
    red = image_from_bytes(make_image_bytes(color=(200, 0, 0)))
    blue = image_from_bytes(make_image_bytes(color=(0, 0, 200)))
    services.item_upsert(external_id="l", fields={"title": "L"}, images=[red])
    with pytest.raises(ValidationError, match="at most 1 images"):
        services.item_upsert(external_id="l", fields={"title": "Changed"}, images=[blue])
    assert Item.objects.get().title == "L" and len(stored_files(settings)) == 1
