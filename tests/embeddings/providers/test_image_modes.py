"""Photos in every colour mode the catalog accepts (CMYK and 16-bit included) reach the
models and vendors as the 8-bit RGB(A) pictures people see."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from embeddings.providers.base import ImagePart, InputType
from embeddings.providers.http import ImageLimits, fit_image
from embeddings.providers.images import eight_bit
from embeddings.providers.onnx import OnnxProvider, decode_image
from tests.embeddings.providers.tiny_models import build_tiny_clip
from tests.security.conftest import cmyk_jpeg, encode, pixel, png_16bit


def palette_with_transparency() -> Image.Image:
    image = Image.new("P", (8, 8), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (4, 0, 8, 8))
    image.info["transparency"] = 1  # the right half is see-through
    return image


@pytest.mark.parametrize(
    ("image", "keep_alpha", "mode", "left", "right"),
    [
        (Image.new("CMYK", (8, 8), (0, 255, 255, 0)), False, "RGB", (255, 0, 0), (255, 0, 0)),
        (Image.new("I;16", (8, 8), 32896), False, "RGB", (128, 128, 128), (128, 128, 128)),
        (Image.new("I", (8, 8), 65535), False, "RGB", (255, 255, 255), (255, 255, 255)),
        (Image.new("L", (8, 8), 7), False, "RGB", (7, 7, 7), (7, 7, 7)),
        (Image.new("1", (8, 8), 1), False, "RGB", (255, 255, 255), (255, 255, 255)),
        (palette_with_transparency(), False, "RGB", (255, 0, 0), (255, 255, 255)),
        (palette_with_transparency(), True, "RGBA", (255, 0, 0, 255), (0, 0, 255, 0)),
        (Image.new("LA", (8, 8), (50, 0)), False, "RGB", (255, 255, 255), (255, 255, 255)),
        (Image.new("LA", (8, 8), (50, 255)), True, "RGBA", (50, 50, 50, 255), (50, 50, 50, 255)),
        (Image.new("RGBA", (8, 8), (9, 8, 7, 255)), False, "RGB", (9, 8, 7), (9, 8, 7)),
    ],
    ids=["cmyk", "16-bit", "32-bit-int", "grey", "bilevel", "palette-on-white",
         "palette-keeps-alpha", "transparent-grey", "grey-alpha", "rgba-opaque"],
)  # fmt: skip
def test_eight_bit_conversion(
    image: Image.Image,
    keep_alpha: bool,
    mode: str,
    left: tuple[int, ...],
    right: tuple[int, ...],
) -> None:
    converted = eight_bit(image, keep_alpha=keep_alpha)
    assert converted.mode == mode
    assert converted.getpixel((1, 4)) == left and converted.getpixel((6, 4)) == right


def close_to(pixel: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 8) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def test_the_onnx_provider_decodes_cmyk_and_16_bit_photos() -> None:
    cmyk = decode_image(cmyk_jpeg())
    assert cmyk.mode == "RGB" and close_to(pixel(cmyk, (5, 5)), (255, 0, 0))
    grey = decode_image(png_16bit(value=32896))
    assert grey.mode == "RGB" and pixel(grey, (5, 5)) == (128, 128, 128)  # not white


def test_a_16_bit_photo_embeds_as_its_8_bit_twin(tmp_path: Path) -> None:
    provider = OnnxProvider("tiny", {"path": str(build_tiny_clip(tmp_path).folder)})
    rows = np.arange(48, dtype=np.uint16).reshape(6, 8) * 1300
    sixteen = Image.fromarray(rows)
    assert sixteen.mode == "I;16"
    eight = Image.fromarray((rows >> 8).astype(np.uint8))
    result = provider.embed(
        [[ImagePart(encode(sixteen, "PNG"), "image/png")],
         [ImagePart(encode(eight, "PNG"), "image/png")]],
        input_type=InputType.DOCUMENT,
    )  # fmt: skip
    np.testing.assert_allclose(result.vectors[0], result.vectors[1], atol=1e-6)
    cmyk, rgb = provider.embed(
        [[ImagePart(cmyk_jpeg(), "image/jpeg")],
         [ImagePart(encode(Image.new("RGB", (40, 30), (255, 0, 0)), "PNG"), "image/png")]],
        input_type=InputType.DOCUMENT,
    ).vectors  # fmt: skip
    assert float(cmyk @ rgb) > 0.99


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [(cmyk_jpeg(), "image/jpeg", (255, 0, 0)), (png_16bit(value=32896), "image/png", (128,) * 3)],
    ids=["cmyk-jpeg", "16-bit-png"],
)
def test_vendors_get_cmyk_and_16_bit_photos_as_8_bit_rgb(
    data: bytes, content_type: str, expected: tuple[int, int, int]
) -> None:
    fitted = fit_image(ImagePart(data, content_type, weight=0.7), ImageLimits())
    assert fitted.content_type == "image/jpeg" and fitted.weight == 0.7
    with Image.open(io.BytesIO(fitted.data)) as sent:
        assert sent.mode == "RGB" and close_to(pixel(sent, (5, 5)), expected)


def test_vendors_get_plain_modes_unchanged_and_transparency_kept() -> None:
    for image in (Image.new("RGBA", (8, 8), (1, 2, 3, 100)), Image.new("LA", (8, 8), (5, 9))):
        part = ImagePart(encode(image, "PNG"), "image/png")
        assert fit_image(part, ImageLimits()) is part
    gif = ImagePart(encode(palette_with_transparency(), "GIF"), "image/gif")
    fitted = fit_image(gif, ImageLimits(formats=frozenset({"image/jpeg", "image/png"})))
    assert fitted.content_type == "image/png"
    with Image.open(io.BytesIO(fitted.data)) as sent:
        assert sent.mode == "RGBA" and pixel(sent, (6, 4))[3] == 0
