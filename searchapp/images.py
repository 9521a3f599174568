"""Image validation: every image that reaches the catalog (or a search) passes through here first.

An image is accepted only if Pillow can decode it completely, its format is one the
embedding providers accept (JPEG, PNG, WebP, GIF), and it is within the byte, pixel and
frame limits in settings. Nothing is stored before that. Images come as bytes, an uploaded
file, a base64 data URL, or an http(s) URL fetched through the guarded fetcher
(searchapp.urlfetch).

A photo whose EXIF orientation says "rotate me to display" is turned upright here, once,
and re-encoded in its own format without the orientation tag: the stored file, its
width, height and sha256 all describe the picture as people see it, and nothing
downstream (browsers, thumbnails, embedding providers) has to interpret the tag.
Colour modes are kept as they are (CMYK JPEG, 16-bit PNG): browsers show them, and the
providers convert to 8-bit RGB when they decode.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import warnings
import zlib
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image, ImageFile, ImageOps, JpegImagePlugin, UnidentifiedImageError

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


def _too_many_pixels(width: int, height: int, max_pixels: int) -> ValidationError:
    return ValidationError(
        f"The image is {width}x{height} = {width * height:,} pixels; "
        f"the limit is {max_pixels:,} pixels.",
        code="too_many_pixels",
    )


def _too_large(size: int, max_bytes: int) -> ValidationError:
    return ValidationError(
        f"The image is {megabytes(size)}; the limit is {megabytes(max_bytes)}.",
        code="too_large",
    )


def megabytes(size: int) -> str:
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
        raise _too_large(len(data), max_bytes)
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
                    raise _too_many_pixels(width, height, max_pixels)
                # Before decoding anything: an animation is counted from its structure.
                frames = _frame_count(data, image, max_pixels=max_pixels)
                image.load()  # decodes every byte: a truncated or corrupt file fails here
                _verify(data, image_format)
                upright = _upright(image, data) if frames == 1 else None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            f"The image declares too many pixels (limit {max_pixels:,}).", code="too_many_pixels"
        ) from exc
    except UnidentifiedImageError as exc:
        if sniff_image_format(data) is not None:  # the signature of an image, then damage
            raise ValidationError(
                "The image is truncated or corrupt: its header cannot be read (a checksum "
                "inside the file does not match its data, or the file is cut short). Send the "
                "complete file, or save it again with an image editor.",
                code="corrupt_image",
            ) from exc
        raise ValidationError(
            "The file is not an image (JPEG, PNG, WebP or GIF expected).", code="not_an_image"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(
            f"The image is truncated or corrupt: {_damage(exc)}. Send the complete file, or "
            "save it again with an image editor.",
            code="corrupt_image",
        ) from exc
    content_type, extension = ACCEPTED_FORMATS[image_format]
    if declared not in _UNINFORMATIVE_CONTENT_TYPES and declared != content_type:
        raise ValidationError(
            f"The file was sent as {declared} but its content is {content_type}.",
            code="content_type_mismatch",
        )
    if upright is not None:
        data, (width, height) = upright
        if len(data) > max_bytes:
            raise _too_large(len(data), max_bytes)
    return ValidatedImage(
        data=data,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _verify(data: bytes, image_format: str) -> None:
    """Damage that decoding does not notice. Pillow checks the CRC of a PNG's chunks before
    the image data but not of IDAT, fdAT and what follows (nor does its verify() check
    IEND), so every chunk's CRC is checked here, up to IEND (PNG spec, 5.3). Decoding stays
    strict: truncated images are never loaded (ImageFile.LOAD_TRUNCATED_IMAGES stays off)."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise OSError("the server is configured to load truncated images")
    if image_format != "PNG":
        return
    position = 8
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        end = position + 8 + length
        if end + 4 > len(data):
            break
        kind = data[position + 4 : position + 8]
        if zlib.crc32(data[position + 4 : end]) != int.from_bytes(data[end : end + 4], "big"):
            raise OSError(f"bad CRC in the {kind.decode('latin-1')} chunk")
        if kind == b"IEND":
            return
        position = end + 4
    raise EOFError("truncated PNG: no IEND chunk")


def _damage(exc: Exception) -> str:
    """What is wrong, in words a person sending the file can act on (Pillow's messages name
    its own internals: codecs, plugin constants)."""
    message = str(exc).lower()
    if "checksum" in message or "crc" in message:
        return "a checksum inside the file does not match its data"
    if "text chunk" in message or "max_text" in message:
        return "it carries more embedded text metadata than is accepted"
    if "truncated" in message or isinstance(exc, EOFError) or "ends" in message:
        return "the file ends before the picture does"
    return "its picture data cannot be decoded"


def _frame_count(data: bytes, image: Image.Image, *, max_pixels: int) -> int:
    """How many frames the image has, refused above SEARCHAPP_MAX_IMAGE_FRAMES. PNG (APNG)
    and WebP declare it in a header; a GIF is walked block by block without decoding (Pillow
    would decode every frame to count them)."""
    max_frames = settings.SEARCHAPP_MAX_IMAGE_FRAMES
    if image.format == "GIF":
        return _gif_frame_count(data, max_frames=max_frames, max_pixels=max_pixels)
    frames = int(getattr(image, "n_frames", 1))
    if frames > max_frames:
        raise _too_many_frames(f"{frames:,}", max_frames)
    return frames


def _too_many_frames(count: str, max_frames: int) -> ValidationError:
    return ValidationError(
        f"The image has {count} frames; the limit is {max_frames:,}.", code="too_many_frames"
    )


def _gif_frame_count(data: bytes, *, max_frames: int, max_pixels: int) -> int:
    """Count a GIF's frames from its block structure (GIF89a spec), refusing the file as
    soon as it passes the frame limit, a frame larger than the pixel limit, and a file that
    ends before its trailer (a truncated later frame, which Pillow would never look at)."""

    def truncated() -> ValidationError:
        return ValidationError(
            "The image is truncated or corrupt (the GIF ends before its last frame).",
            code="corrupt_image",
        )

    def color_table_size(packed: int) -> int:
        return 3 * (2 ** ((packed & 0x07) + 1)) if packed & 0x80 else 0

    def skip_sub_blocks(position: int) -> int:
        while True:
            if position >= len(data):
                raise truncated()
            size = data[position]
            position += 1 + size
            if size == 0:
                return position

    if len(data) < 13:
        raise truncated()
    position = 13 + color_table_size(data[10])
    frames = 0
    while True:
        if position >= len(data):
            raise truncated()
        block = data[position]
        if block == 0x3B:  # trailer
            return frames
        if block == 0x21:  # extension: label, then sub-blocks
            position = skip_sub_blocks(position + 2)
        elif block == 0x2C:  # image descriptor: a frame
            if position + 10 > len(data):
                raise truncated()
            width = int.from_bytes(data[position + 5 : position + 7], "little")
            height = int.from_bytes(data[position + 7 : position + 9], "little")
            if width * height > max_pixels:
                raise _too_many_pixels(width, height, max_pixels)
            frames += 1
            if frames > max_frames:
                raise _too_many_frames(f"more than {max_frames:,}", max_frames)
            position += 10 + color_table_size(data[position + 9])
            position = skip_sub_blocks(position + 1)  # after the LZW minimum code size
        else:
            raise ValidationError(
                f"The image is truncated or corrupt (unknown GIF block 0x{block:02x}).",
                code="corrupt_image",
            )


def _upright(image: Image.Image, data: bytes) -> tuple[bytes, tuple[int, int]] | None:
    """The loaded image turned as its EXIF orientation says, re-encoded in its own format
    without the orientation tag; None when it is upright already."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if orientation not in range(2, 9):
        return None
    upright = ImageOps.exif_transpose(image)
    options: dict[str, Any] = {
        key: upright.info[key] for key in ("icc_profile", "exif", "dpi") if key in upright.info
    }
    if image.format == "JPEG":
        # The source's own quantisation tables and chroma subsampling: the same quality.
        options["qtables"] = getattr(image, "quantization", None) or "web_high"
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling != -1:
            options["subsampling"] = sampling
    elif image.format == "WEBP":
        if _webp_is_lossless(data):
            options["lossless"] = True
        else:
            options["quality"] = 95
    buffer = io.BytesIO()
    upright.save(buffer, format=image.format, **options)
    return buffer.getvalue(), upright.size


def _webp_is_lossless(data: bytes) -> bool:
    """A WebP file's image chunk is VP8L when it is lossless (RIFF chunks, WebP container spec)."""
    position = 12
    while position + 8 <= len(data):
        kind, size = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        if kind in (b"VP8L", b"VP8 "):
            return kind == b"VP8L"
        position += 8 + size + (size & 1)
    return False


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
            f"The image is larger than the limit of {megabytes(max_bytes)}.", code="too_large"
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
