"""Image validation: every image that reaches the catalog passes through here first.

An image is accepted only if Pillow can decode it completely, its format is one the
embedding providers accept (JPEG, PNG, WebP, GIF), and it is within the byte and pixel
limits in settings. Nothing is stored before that. Images come as bytes, an uploaded file,
a base64 data URL, or an http(s) URL fetched through the guarded fetcher (searchapp.urlfetch).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

from searchapp.urlfetch import UrlFetchError, fetch_url

# Pillow format name -> (content type, file extension)
ACCEPTED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
ACCEPTED_CONTENT_TYPES = {content_type for content_type, _ in ACCEPTED_FORMATS.values()}
_CONTENT_TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
# Declared types that say nothing about the format; the bytes decide.
_UNINFORMATIVE_CONTENT_TYPES = {"", "application/octet-stream", "binary/octet-stream"}

_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*);base64,"
)


@dataclass(frozen=True)
class ValidatedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.sha256}.{self.extension}"


def sniff_image_format(head: bytes) -> str | None:
    """The accepted format (a key of ACCEPTED_FORMATS) that the first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _limits() -> tuple[int, int]:
    return settings.SEARCHAPP_MAX_IMAGE_BYTES, settings.SEARCHAPP_MAX_IMAGE_PIXELS


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _normalise_content_type(content_type: str | None) -> str:
    value = (content_type or "").split(";")[0].strip().lower()
    return _CONTENT_TYPE_ALIASES.get(value, value)


def image_from_bytes(data: bytes, *, declared_content_type: str | None = None) -> ValidatedImage:
    """Validate raw bytes as an image, or raise ValidationError with a message a person can act on."""
    max_bytes, max_pixels = _limits()
    if not data:
        raise ValidationError("The file is empty.", code="empty")
    if len(data) > max_bytes:
        raise ValidationError(
            f"The image is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}.",
            code="too_large",
        )
    declared = _normalise_content_type(declared_content_type)
    if declared not in _UNINFORMATIVE_CONTENT_TYPES and declared not in ACCEPTED_CONTENT_TYPES:
        raise ValidationError(
            f"Unsupported content type {declared!r}; send JPEG, PNG, WebP or GIF.",
            code="unsupported_type",
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                width, height = image.size
                if image_format not in ACCEPTED_FORMATS:
                    raise ValidationError(
                        f"Unsupported image format {image_format or 'unknown'}; "
                        "send JPEG, PNG, WebP or GIF.",
                        code="unsupported_format",
                    )
                if width * height > max_pixels:
                    raise ValidationError(
                        f"The image is {width}x{height} = {width * height:,} pixels; "
                        f"the limit is {max_pixels:,} pixels.",
                        code="too_many_pixels",
                    )
                image.load()  # decodes every byte: a truncated or corrupt file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            f"The image declares too many pixels (limit {max_pixels:,}).", code="too_many_pixels"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ValidationError(
            "The file is not an image (JPEG, PNG, WebP or GIF expected).", code="not_an_image"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(
            f"The image is truncated or corrupt ({exc}).", code="corrupt_image"
        ) from exc
    content_type, extension = ACCEPTED_FORMATS[image_format]
    if declared not in _UNINFORMATIVE_CONTENT_TYPES and declared != content_type:
        raise ValidationError(
            f"The file was sent as {declared} but its content is {content_type}.",
            code="content_type_mismatch",
        )
    return ValidatedImage(
        data=data,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def image_from_file(file: IO[bytes], *, declared_content_type: str | None = None) -> ValidatedImage:
    """Read an uploaded file (never more than one byte over the limit) and validate it."""
    max_bytes, _ = _limits()
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(max_bytes + 1)
    return image_from_bytes(data, declared_content_type=declared_content_type)


def image_from_data_url(value: str) -> ValidatedImage:
    """`data:image/png;base64,...` -> ValidatedImage."""
    max_bytes, _ = _limits()
    match = _DATA_URL.match(value)
    if match is None:
        raise ValidationError(
            "Not a base64 data URL; expected data:image/<png|jpeg|webp|gif>;base64,<data>.",
            code="invalid_data_url",
        )
    encoded = value[match.end() :]
    if len(encoded) > (max_bytes * 4) // 3 + 4:
        raise ValidationError(
            f"The image is larger than the limit of {_megabytes(max_bytes)}.", code="too_large"
        )
    try:
        data = base64.b64decode(re.sub(r"\s+", "", encoded), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(
            "The data URL's base64 payload is invalid.", code="invalid_data_url"
        ) from exc
    return image_from_bytes(data, declared_content_type=match.group("type"))


def image_from_url(url: str) -> ValidatedImage:
    """Fetch an http(s) image URL now (public addresses only, capped in size and time, an
    image/* content type whose first bytes are an accepted format) and validate the bytes."""
    max_bytes, _ = _limits()
    try:
        data = fetch_url(url, max_bytes=max_bytes, accept="image/*", inspect=_inspect_image)
    except UrlFetchError as exc:
        raise ValidationError(f"Could not fetch the image: {exc}", code="url_not_fetched") from exc
    return image_from_bytes(data)


def _inspect_image(content_type: str, head: bytes) -> None:
    """Refuse a response before its body is read: not image/*, or not an accepted format."""
    if not content_type.startswith("image/"):
        raise UrlFetchError(f"the content type is {content_type or 'missing'}, not image/*.")
    if sniff_image_format(head) is None:
        raise UrlFetchError("the content is not a JPEG, PNG, WebP or GIF image.")
