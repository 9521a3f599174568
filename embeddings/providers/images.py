"""Images as a model or a vendor takes them: 8-bit modes, and within a vendor's pixel,
byte and format limits (downscaled or re-encoded, never dropped). PIL is imported where it
is used."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from embeddings.providers.base import ImagePart, PermanentProviderError

if TYPE_CHECKING:
    from PIL.Image import Image

# Modes every model and vendor decodes as they are; others are converted first.
WEB_IMAGE_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def eight_bit(image: Image, *, keep_alpha: bool) -> Image:
    """The image as 8-bit RGB, or RGBA when it is transparent and `keep_alpha` (otherwise
    laid on white, the usual background of a product photo). CMYK and palette images are
    converted; 16-bit greyscale is scaled down (Pillow's own conversion clips it to white)."""
    from PIL import Image as PILImage

    if image.mode.startswith("I"):  # I, I;16, I;16B ...: values 0..65535
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        foreground = image.convert("RGBA")
        if keep_alpha:
            return foreground
        background = PILImage.new("RGBA", foreground.size, (255, 255, 255, 255))
        return PILImage.alpha_composite(background, foreground).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int | None = None
    max_bytes: int | None = None
    formats: frozenset[str] = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


def fit_image(part: ImagePart, limits: ImageLimits) -> ImagePart:
    """The image as the vendor accepts it: unchanged when within the limits and in a plain
    8-bit mode; otherwise (downscaled when too big) re-encoded as 8-bit JPEG, or PNG when it
    has transparency, until it fits. CMYK and 16-bit images are always converted: not every
    vendor's decoder reads them. Never dropped: an image that cannot be made to fit is an
    error."""
    from PIL import Image, ImageOps

    too_big = limits.max_bytes is not None and len(part.data) > limits.max_bytes
    with Image.open(io.BytesIO(part.data)) as opened:
        pixels = opened.width * opened.height
        too_many = limits.max_pixels is not None and pixels > limits.max_pixels
        wrong_format = part.content_type not in limits.formats
        unusual_mode = opened.mode not in WEB_IMAGE_MODES
        if not (too_big or too_many or wrong_format or unusual_mode):
            return part
        image = eight_bit(ImageOps.exif_transpose(opened), keep_alpha=True)
    scale = 1.0
    if limits.max_pixels is not None and pixels > limits.max_pixels:
        scale = (limits.max_pixels / pixels) ** 0.5
    has_alpha = image.mode == "RGBA"
    fmt, content_type = ("PNG", "image/png") if has_alpha else ("JPEG", "image/jpeg")
    for _ in range(12):
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        candidate = image.resize(size, Image.Resampling.LANCZOS) if scale < 1.0 else image
        buffer = io.BytesIO()
        candidate.save(
            buffer, format=fmt, **({"quality": 90} if fmt == "JPEG" else {"optimize": True})
        )
        data = buffer.getvalue()
        if limits.max_bytes is None or len(data) <= limits.max_bytes:
            return ImagePart(data=data, content_type=content_type, weight=part.weight)
        scale *= 0.75
    raise PermanentProviderError(
        "image", "the image cannot be reduced below the vendor's size limit"
    )
