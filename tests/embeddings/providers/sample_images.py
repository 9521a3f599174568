"""The images the provider tests send, and the helpers that read them back out of a
request."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from tests.conftest import make_image_bytes


def png(size: tuple[int, int] = (48, 32), color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    return make_image_bytes("PNG", size=size, color=color)


def noise_png(width: int, height: int, seed: int = 1) -> bytes:
    """A PNG that does not compress: its size in bytes follows its pixels."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(data: bytes, content_type: str = "image/png") -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def decoded(url: str) -> bytes:
    """The image bytes of a base64 data URL."""
    return base64.b64decode(url.partition(";base64,")[2])
