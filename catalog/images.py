"""Where an item's images come from in a catalog file: a path inside the catalog's images
folder, or a URL fetched through the guarded fetcher. The rules for the bytes themselves
(formats, limits, decoding) are searchapp.images'."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from catalog.models import storable_text_problem
from searchapp.images import ValidatedImage, image_from_bytes, image_from_url

_URL_WITH_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@dataclass(frozen=True)
class ImageSource:
    reference: str  # as written in the file, for messages
    path: Path | None = None
    url: str | None = None


def is_url(reference: str) -> bool:
    return _URL_WITH_SCHEME.match(reference.strip()) is not None


def image_source(reference: str, images_dir: Path) -> ImageSource:
    """A reference from a catalog file: a URL (refused or fetched when loaded) or a path
    resolved inside `images_dir`, which it may not leave. ValidationError otherwise."""
    reference = reference.strip()
    problem = storable_text_problem(reference, "image")
    if problem:
        raise ValidationError(problem, code="invalid")
    if is_url(reference):
        return ImageSource(reference=reference, url=reference)
    base = images_dir.resolve()
    path = (base / reference).resolve()
    if not path.is_relative_to(base):
        raise ValidationError(
            f"Image {reference} lies outside the images folder {images_dir}.", code="outside"
        )
    return ImageSource(reference=reference, path=path)


def image_from_source(source: ImageSource) -> ValidatedImage:
    """Read (or fetch) and validate one image, or raise ValidationError naming the image."""
    if source.url is not None:
        url = source.url
        return _naming(source, lambda: image_from_url(url))
    if source.path is None or not source.path.is_file():
        raise ValidationError(f"Image file {source.reference} not found.", code="not_found")
    try:
        with source.path.open("rb") as file:
            data = file.read(settings.SEARCHAPP_MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise ValidationError(
            f"Image file {source.reference} cannot be read ({exc}).", code="unreadable"
        ) from exc
    return _naming(source, lambda: image_from_bytes(data))


def _naming(source: ImageSource, load: Callable[[], ValidatedImage]) -> ValidatedImage:
    try:
        return load()
    except ValidationError as exc:
        raise ValidationError(
            f"Image {source.reference}: {' '.join(exc.messages)}",
            code=getattr(exc, "code", None),
        ) from exc
