"""What gets embedded for an item: its text and each of its images, normalised, with the
hash that decides whether a stored vector is still current."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.storage import default_storage

from catalog.models import Item, ItemImage
from embeddings.models import EmbeddingSpace
from embeddings.providers.base import ImagePart, Part, TextPart

MAX_TEXT_CHARS = 4000  # tokenizers truncate further; this bounds the work before them
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """Catalog text as a model should see it: tags stripped, entities decoded, one space."""
    without_tags = _TAG.sub(" ", value)
    return _SPACE.sub(" ", html.unescape(without_tags)).strip()


def item_text(item: Item) -> str:
    parts = [clean_text(item.title), clean_text(item.category), clean_text(item.description)]
    return ". ".join(part for part in parts if part)[:MAX_TEXT_CHARS]


@dataclass(frozen=True)
class Source:
    """One embeddable source of an item: the text (image_id None) or one image."""

    image_id: int | None
    sha256: str


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_sources(
    item: Item, images: Iterable[ItemImage], *, text: bool, image: bool
) -> list[Source]:
    sources: list[Source] = []
    if text:
        sources.append(Source(image_id=None, sha256=sha256_text(item_text(item))))
    if image:
        sources.extend(Source(image_id=img.pk, sha256=img.sha256) for img in images)
    return sources


def space_item_sources(space: EmbeddingSpace, item: Item) -> list[Source]:
    """The sources of an item that a space embeds (images from a prefetch when there is one)."""
    return item_sources(item, item.images.all(), text=space.embeds_text, image=space.embeds_images)


def sources_sha256(sources: Iterable[Source]) -> str:
    """One hash for everything an item contributes to a space: equal hash, nothing to do."""
    digest = hashlib.sha256()
    for source in sorted(sources, key=lambda s: (s.image_id or 0, s.sha256)):
        digest.update(f"{source.image_id}:{source.sha256};".encode())
    return digest.hexdigest()


def source_part(item: Item, image: ItemImage | None) -> Part:
    if image is None:
        return TextPart(item_text(item))
    with default_storage.open(str(image.image.name), "rb") as handle:
        data = handle.read()
    return ImagePart(data=data, content_type=image.content_type)
