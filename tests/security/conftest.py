"""Hostile and unusual images, made with Pillow (or byte by byte) when the tests run: no
binary fixtures in the repository."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from catalog import services as catalog_services
from catalog.models import Item
from embeddings import queue as embedding_queue
from embeddings import spaces as embedding_spaces
from embeddings.models import EmbeddingSpace
from tests.embeddings.fakes import FakeProvider

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)
FAKE_PROVIDERS = {"fake": {"BACKEND": "tests.embeddings.fakes.FakeProvider", "OPTIONS": {}}}


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def solid(
    fmt: str = "PNG", size: tuple[int, int] = (32, 24), color: Any = RED, mode: str = "RGB"
) -> bytes:
    return encode(Image.new(mode, size, color), fmt)


def two_tone(
    size: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]
) -> Image.Image:
    """Left half one colour, right half another: which way is up can be read back."""
    image = Image.new("RGB", size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def exif_rotated(fmt: str, orientation: int = 6) -> bytes:
    """A 60x40 picture stored sideways (left red, right blue as stored) with an EXIF
    orientation that tells viewers how to turn it."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Test camera"  # Make: other tags survive
    options: dict[str, Any] = {"exif": exif}
    if fmt == "JPEG":
        options["quality"] = 95
    if fmt == "WEBP":
        options["lossless"] = True
    return encode(two_tone((60, 40), RED, BLUE), fmt, **options)


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    return data[: int(len(data) * keep)]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_bad_crc(kind: bytes = b"IDAT") -> bytes:
    """A whole, decodable PNG whose `kind` chunk carries a wrong CRC (damaged in transit)."""
    data = solid("PNG", size=(40, 30))
    start = data.index(kind) - 4
    length = struct.unpack(">I", data[start : start + 4])[0]
    crc = start + 8 + length
    return data[:crc] + bytes([data[crc] ^ 0xFF]) + data[crc + 1 :]


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height but which carries a tiny body."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 10))
        + png_chunk(b"IEND", b"")
    )


@functools.cache
def gif_frames(count: int, size: tuple[int, int] = (4, 4)) -> bytes:
    """An animated GIF of `count` frames, alternating between two colours (so a decoder sees
    them all). Written block by block from two one-frame GIFs: Pillow's own encoder compares
    every frame with the previous one (3,000 frames took a second, at collection)."""
    blocks = []
    for colour in (0, 1):
        frame = Image.new("P", size, colour)
        frame.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
        blocks.append(encode(frame, "GIF", optimize=False))
    # header (6 bytes), logical screen (7), global colour table (3 x 2^(n+1), n in its flags)
    table_end = 13 + 3 * 2 ** ((blocks[0][10] & 0x07) + 1)
    delay = b"\x21\xf9\x04\x00" + struct.pack("<H", 2) + b"\x00\x00"  # 20 ms a frame
    frames = [delay + block[block.index(b"\x2c", table_end) : -1] for block in blocks]
    return blocks[0][:table_end] + b"".join(frames[n % 2] for n in range(count)) + b"\x3b"


def gif_with_huge_frame(width: int = 30000, height: int = 30000) -> bytes:
    """A 2x2 logical screen whose one frame declares width x height: a frame-level bomb."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 2, 2, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame + b"\x3b"


def apng_frames(count: int) -> bytes:
    frames = [Image.new("RGB", (4, 4), (n % 256, 0, 0)) for n in range(count)]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:])


def cmyk_jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    # C=0 M=255 Y=255 K=0 is pure red on screen.
    return encode(Image.new("CMYK", size, (0, 255, 255, 0)), "JPEG", quality=95)


def png_16bit(size: tuple[int, int] = (40, 30), value: int = 32896) -> bytes:
    """16-bit greyscale: 32896 / 65535 is mid grey (128 in 8 bits)."""
    image = Image.new("I;16", size, value)
    data = encode(image, "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    return data


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple), value
    return value


def media_files(root: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


@pytest.fixture
def live_space(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddingSpace]:
    """A live embedding space on the in-process fake provider, so that every accepted write
    queues embedding work (and a refused one must not); no worker is woken."""
    settings.EMBEDDING_PROVIDERS = FAKE_PROVIDERS
    FakeProvider.reset()
    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)
    yield embedding_spaces.space_create(name="fake", provider_alias="fake", activate=True)


@pytest.fixture
def existing_item(live_space: EmbeddingSpace) -> Item:
    """One item already in the catalog, with one image: updates and image adds aim at it."""
    from searchapp.images import image_from_bytes

    return catalog_services.item_create(
        external_id="existing",
        title="Existing lamp",
        description="A lamp that was here first.",
        category="Lighting",
        attributes={"color": "green"},
        images=[image_from_bytes(solid(color=GREEN))],
    )
