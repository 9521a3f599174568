"""Writes to the catalog. Views, serializers, admin, commands and tasks call these."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from catalog.models import Item, ItemImage, storable_text_problem
from catalog.signals import item_content_changed
from searchapp.images import ValidatedImage
from searchapp.media import remove_empty_folders

logger = logging.getLogger(__name__)

ITEM_FIELDS = (
    "external_id",
    "title",
    "description",
    "category",
    "price",
    "attributes",
    "is_active",
)


def _clean_text(value: str, field: str) -> str:
    problem = storable_text_problem(value, field)
    if problem:
        raise ValidationError({field: problem}, code="invalid")
    return value.strip() if field in {"external_id", "title", "category"} else value


def _check_not_taken(item: Item) -> None:
    if Item.objects.filter(external_id=item.external_id).exclude(pk=item.pk).exists():
        raise _duplicate_external_id(item.external_id)


def _duplicate_external_id(external_id: str) -> ValidationError:
    return ValidationError(
        {"external_id": f"An item with external_id {external_id!r} already exists."},
        code="duplicate",
    )


def _save_item(item: Item) -> None:
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        # Two writers raced past the duplicate check; the unique index decided.
        if Item.objects.filter(external_id=item.external_id).exclude(pk=item.pk).exists():
            raise _duplicate_external_id(item.external_id) from exc
        raise


@dataclass(frozen=True)
class ItemUpsertResult:
    item: Item | None  # None only for a dry run that would create it
    outcome: Literal["created", "updated", "unchanged"]
    images_added: int = 0  # to an item that existed


def item_check(*, item: Item) -> None:
    """The checks every item write passes (storable text, a finite price, the model's
    validators), on an item not saved yet; trims external_id, title and category."""
    for field in ("external_id", "title", "description", "category"):
        setattr(item, field, _clean_text(getattr(item, field) or "", field))
    if isinstance(item.price, float | Decimal) and not math.isfinite(item.price):
        raise ValidationError({"price": "The price must be a finite number."}, code="invalid")
    try:
        item.full_clean(exclude=["search_vector"], validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


def item_upsert(
    *,
    external_id: str,
    fields: Mapping[str, Any] | None = None,
    images: Sequence[ValidatedImage] = (),
    item: Item | None = None,
    if_exists: Literal["update", "refuse"] = "update",
    dry_run: bool = False,
) -> ItemUpsertResult:
    """Create the item `external_id` with `fields` (any of ITEM_FIELDS) and `images`, or
    update it: changed fields are saved and images whose bytes are new to it are added
    (none removed). All or nothing, files included; an unchanged item is not written.

    `item` is the item to update (the API's, by id; `external_id` may rename it); without
    it, the item that has `external_id`, if any. With if_exists="refuse" an existing
    external_id is a duplicate. A dry run checks everything and writes nothing.
    """
    values = dict(fields or {})
    unknown = set(values) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown item fields: {', '.join(sorted(unknown))}.", code="unknown")
    if values.get("attributes", {}) is None:
        values["attributes"] = {}
    values["external_id"] = external_id
    unique: dict[str, ValidatedImage] = {}
    for image in images:
        unique.setdefault(image.sha256, image)
    if item is None:
        candidate = Item(**values)
        item_check(item=candidate)
        item = Item.objects.filter(external_id=candidate.external_id).first()
        if item is None:
            return _create(
                candidate, images=list(unique.values()), if_exists=if_exists, dry_run=dry_run
            )
        if if_exists == "refuse":
            raise _duplicate_external_id(candidate.external_id)
    return _update(item, values=values, images=list(unique.values()), dry_run=dry_run)


def _create(
    item: Item,
    *,
    images: Sequence[ValidatedImage],
    if_exists: Literal["update", "refuse"],
    dry_run: bool,
) -> ItemUpsertResult:
    _check_image_count(existing=0, adding=len(images))
    if dry_run:
        return ItemUpsertResult(item=None, outcome="created")
    stored: list[str] = []
    try:
        with transaction.atomic():
            _save_item(item)
            for position, image in enumerate(images):
                stored.append(
                    str(_store_image(item=item, image=image, position=position).image.name)
                )
    except ValidationError:
        _delete_files(stored)
        # A writer running at the same time created it since we looked: update that one.
        winner = Item.objects.filter(external_id=item.external_id).first()
        if if_exists == "refuse" or winner is None:
            raise
        values = {name: getattr(item, name) for name in ITEM_FIELDS}
        return _update(winner, values=values, images=images, dry_run=False)
    except BaseException:
        _delete_files(stored)
        raise
    _schedule_embeddings(item.pk)
    return ItemUpsertResult(item=item, outcome="created")


def _update(
    item: Item, *, values: dict[str, Any], images: Sequence[ValidatedImage], dry_run: bool
) -> ItemUpsertResult:
    stored: list[str] = []
    try:
        with transaction.atomic():
            if not dry_run:
                # Lock the item so concurrent writers agree on its images and positions.
                Item.objects.select_for_update().only("pk").filter(pk=item.pk).first()
            before = {name: getattr(item, name) for name in values}
            for name, value in values.items():
                setattr(item, name, value)
            item_check(item=item)
            changed = [name for name in values if getattr(item, name) != before[name]]
            if "external_id" in changed:
                _check_not_taken(item)
            known = set(item.images.values_list("sha256", flat=True))
            new_images = [image for image in images if image.sha256 not in known]
            if not changed and not new_images:
                return ItemUpsertResult(item=item, outcome="unchanged")
            _check_image_count(existing=len(known), adding=len(new_images))
            if dry_run:
                return ItemUpsertResult(item=item, outcome="updated", images_added=len(new_images))
            if changed:
                _save_item(item)
            else:
                _touch(item.pk)
            stored.extend(_store_images(item, new_images))
    except BaseException:
        _delete_files(stored)
        raise
    _schedule_embeddings(item.pk)
    return ItemUpsertResult(item=item, outcome="updated", images_added=len(new_images))


def _store_images(item: Item, images: Sequence[ValidatedImage]) -> Iterator[str]:
    """Store images after the item's last one, yielding each stored file's name."""
    last = item.images.aggregate(last=Max("position"))["last"]
    first = 0 if last is None else last + 1
    for offset, image in enumerate(images):
        yield str(_store_image(item=item, image=image, position=first + offset).image.name)


def item_create(
    *,
    external_id: str,
    title: str,
    description: str = "",
    category: str = "",
    price: Decimal | None = None,
    attributes: dict[str, Any] | None = None,
    is_active: bool = True,
    images: Sequence[ValidatedImage] = (),
) -> Item:
    """Create an item with its images, all or nothing; an existing external_id is refused."""
    fields = {
        "title": title,
        "description": description,
        "category": category,
        "price": price,
        "attributes": attributes,
        "is_active": is_active,
    }
    result = item_upsert(external_id=external_id, fields=fields, images=images, if_exists="refuse")
    assert result.item is not None  # noqa: S101 - not a dry run
    return result.item


def item_update(*, item: Item, **changes: Any) -> Item:
    """Change some of an item's fields (any of ITEM_FIELDS)."""
    external_id = changes.pop("external_id", item.external_id)
    item_upsert(item=item, external_id=external_id, fields=changes)
    return item


def item_delete(*, item: Item) -> None:
    """Delete an item, its image rows and (once the deletion commits) its image files."""
    names = list(item.images.values_list("image", flat=True))
    with transaction.atomic():
        item.delete()
        transaction.on_commit(lambda: _delete_files(names))
        transaction.on_commit(lambda: remove_empty_folders(names))  # the item's own folder


def item_image_add(
    *, item: Item, image: ValidatedImage, position: int | None = None
) -> tuple[ItemImage, bool]:
    """Attach an image to an item, like get_or_create: the same bytes twice on one item give
    the existing row and created=False."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            # Lock the item so concurrent adds agree on the count and the next position.
            Item.objects.select_for_update().only("pk").get(pk=item.pk)
            existing = item.images.filter(sha256=image.sha256).first()
            if existing is not None:
                return existing, False
            _check_image_count(existing=item.images.count(), adding=1)
            if position is None:
                last = item.images.aggregate(last=Max("position"))["last"]
                position = 0 if last is None else last + 1
            item_image = _store_image(item=item, image=image, position=position)
            stored.append(str(item_image.image.name))
            _touch(item.pk)
    except BaseException:
        _delete_files(stored)
        raise
    _schedule_embeddings(item.pk)
    return item_image, True


def item_image_delete(*, item_image: ItemImage) -> None:
    name = str(item_image.image.name)
    with transaction.atomic():
        item_image.delete()
        _touch(item_image.item_id)
        transaction.on_commit(lambda: _delete_files([name]))
        _schedule_embeddings(item_image.item_id)


def item_image_move(*, item_image: ItemImage, position: int) -> ItemImage:
    item_image.position = position
    item_image.save(update_fields=["position"])
    return item_image


def _schedule_embeddings(item_id: int) -> None:
    """The item's text or images may have changed: tell the receivers once the write has
    committed (the embedding spaces decide whether that changes their input)."""
    transaction.on_commit(partial(item_content_changed.send, sender=Item, item_ids=[item_id]))


def _touch(item_id: int) -> None:
    Item.objects.filter(pk=item_id).update(updated_at=timezone.now())


def _check_image_count(*, existing: int, adding: int) -> None:
    limit = settings.SEARCHAPP_MAX_IMAGES_PER_ITEM
    if existing + adding > limit:
        raise ValidationError(
            {"images": f"An item may have at most {limit} images."}, code="too_many_images"
        )


def _store_image(*, item: Item, image: ValidatedImage, position: int) -> ItemImage:
    item_image = ItemImage(
        item=item,
        sha256=image.sha256,
        content_type=image.content_type,
        byte_size=len(image.data),
        width=image.width,
        height=image.height,
        position=position,
    )
    item_image.image.save(image.filename, ContentFile(image.data), save=False)
    try:
        item_image.save()
    except BaseException:
        _delete_files([str(item_image.image.name)])
        raise
    return item_image


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete stored image %s", name, exc_info=True)
