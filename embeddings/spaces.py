"""Spaces: create (with their HNSW index and backfill), activate, retire, delete, fill, replace."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Item
from embeddings.index import index_create, index_drop
from embeddings.models import EmbeddingSpace
from embeddings.providers.base import ProviderError
from embeddings.providers.registry import providers
from embeddings.queue import space_backfill, space_embed_pending
from embeddings.store import EmbedReport


def space_create(
    *,
    name: str,
    provider_alias: str,
    embeds_text: bool | None = None,
    embeds_images: bool | None = None,
    index_type: str = EmbeddingSpace.IndexType.HALFVEC,
    activate: bool = False,
) -> EmbeddingSpace:
    """Create a space for a configured provider, queue the backfill, and build its HNSW
    index (of ``index_type``): at once for a small backfill, or, for a backfill of at least
    SEARCHAPP_INDEX_AFTER_BACKFILL items, when the backfill ends
    (`embeddings.queue.space_index_when_filled`): one build over the stored vectors costs a
    fraction of inserting each vector into the graph as it is stored. Until then the space
    is searched by exact scans."""
    provider = providers[provider_alias]
    try:
        capabilities = provider.capabilities
        model_name = provider.model_name
    except ProviderError as exc:
        raise ValidationError(f"Provider {provider_alias!r} is not usable: {exc.message}") from exc
    text = capabilities.text if embeds_text is None else embeds_text
    images = capabilities.image if embeds_images is None else embeds_images
    if text and not capabilities.text:
        raise ValidationError(f"Provider {provider_alias!r} cannot embed text.")
    if images and not capabilities.image:
        raise ValidationError(f"Provider {provider_alias!r} cannot embed images.")
    if EmbeddingSpace.objects.filter(name=name).exists():
        raise ValidationError({"name": f"A space named {name!r} already exists."})
    space = EmbeddingSpace(
        name=name,
        provider_alias=provider_alias,
        model_name=model_name,
        dimensions=capabilities.dimensions,
        embeds_text=text,
        embeds_images=images,
        index_type=index_type,
    )
    space.full_clean()
    space.save()
    deferred = 0 < settings.SEARCHAPP_INDEX_AFTER_BACKFILL <= Item.objects.count()
    if not deferred:
        index_create(space)
    if activate:
        space_activate(space=space)
    space_backfill(space=space, scope="all")
    return space


def space_index_type_set(*, space: EmbeddingSpace, index_type: str) -> EmbeddingSpace:
    """Rebuild the space's index as ``index_type``: the new index is built beside the old
    one (CONCURRENTLY outside a transaction, so searches keep using the old one meanwhile),
    then the space switches to it and the old one is dropped. Idempotent: the same type
    again builds nothing and drops any index another type left behind."""
    if index_type not in EmbeddingSpace.IndexType.values:
        raise ValidationError({"index_type": f"Unknown index type {index_type!r}."})
    space.index_type = EmbeddingSpace.IndexType(index_type)
    index_create(space)
    space.save(update_fields=["index_type"])
    index_drop(space, keep=space.index_type)
    return space


def space_activate(*, space: EmbeddingSpace) -> EmbeddingSpace:
    space.status = EmbeddingSpace.Status.ACTIVE
    space.activated_at = timezone.now()
    space.save(update_fields=["status", "activated_at"])
    return space


def space_retire(*, space: EmbeddingSpace) -> EmbeddingSpace:
    space.status = EmbeddingSpace.Status.RETIRED
    space.save(update_fields=["status"])
    return space


def space_delete(*, space: EmbeddingSpace) -> None:
    index_drop(space)
    space.delete()


def space_fill(
    *, space: EmbeddingSpace, progress: Callable[[EmbedReport], None] | None = None
) -> EmbedReport:
    """Embed every pending item of a space here and now, batch by batch (workers may take
    batches too: claims never overlap). Calls ``progress`` after each batch."""
    total = EmbedReport()
    while True:
        report = space_embed_pending(space=space, max_rounds=1)
        if not report.claimed:
            return total
        total.add(report)
        if progress is not None:
            progress(total)


def space_replace(*, old: EmbeddingSpace, new: EmbeddingSpace) -> None:
    """Switch search from one space to another: the new one becomes active, the old one
    is retired (its vectors stay until the space is deleted)."""
    with transaction.atomic():
        space_activate(space=new)
        space_retire(space=old)
