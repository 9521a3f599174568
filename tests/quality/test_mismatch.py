"""Image-text mismatch on a tiny CLIP-like ONNX model whose geometry the test sets: the
words "red" / "blue" and red / blue pictures point the same way, so an item whose picture
was swapped is the one flagged (the shared CLIP's random weights could prove nothing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.test import override_settings

from catalog import services as catalog_services
from catalog.images import image_from_bytes
from embeddings import queue, spaces
from quality.detectors import Thresholds
from quality.models import Finding, FindingKind
from quality.services import catalog_scan
from tests.conftest import make_image_bytes
from tests.embeddings.providers.tiny_models import (
    CLIP_DIMENSIONS,
    CLIP_WIDTH,
    CROP,
    build_tiny_clip,
    save_clip_text_graph,
    save_clip_vision_graph,
)

pytestmark = pytest.mark.django_db

WORD_DIRECTIONS: dict[str, list[float]] = {"red": [1, -1, 0, 0], "blue": [-1, 1, 0, 0], "shoe": [0, 0, 0.3, 0],
                   "hat": [0, 0, 0, 0.3], "bag": [0, 0, 0.2, 0.2]}  # fmt: skip
PIXELS = CROP * CROP


def build_colour_clip(root: Path) -> Path:
    """A tiny CLIP whose text vector is the mean of its words' directions and whose image
    vector is (mean red - mean blue, mean blue - mean red, mean green / 2, 0)."""
    clip = build_tiny_clip(root)
    table = np.zeros((len(clip.vocab), CLIP_WIDTH), dtype=np.float32)
    for word, direction in WORD_DIRECTIONS.items():
        table[clip.vocab[f"{word}</w>"], :CLIP_DIMENSIONS] = direction
    projection = np.eye(CLIP_WIDTH, CLIP_DIMENSIONS, dtype=np.float32)
    save_clip_text_graph(clip.folder / "onnx" / "text_model.onnx", table, projection,
                         output="text_embeds")  # fmt: skip
    weights = np.zeros((3 * PIXELS, CLIP_DIMENSIONS), dtype=np.float32)
    red, green, blue = (slice(n * PIXELS, (n + 1) * PIXELS) for n in range(3))
    weights[red, 0], weights[blue, 0] = 1 / PIXELS, -1 / PIXELS
    weights[blue, 1], weights[red, 1] = 1 / PIXELS, -1 / PIXELS
    weights[green, 2] = 0.5 / PIXELS
    save_clip_vision_graph(clip.folder / "onnx" / "vision_model.onnx", weights)
    return clip.folder


def picture(colour: str, green: int) -> bytes:
    rgb = (200, green, 30) if colour == "red" else (30, green, 200)
    return make_image_bytes(color=rgb)


def test_items_whose_picture_disagrees_with_their_text_are_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = build_colour_clip(tmp_path)
    monkeypatch.setattr(queue, "_wake", lambda space_id: None)
    items = {}
    # (text colour, picture colour): the last two had the wrong photo uploaded.
    cases = [(c, c, n) for n, c in enumerate(["red", "blue"] * 6)] + [
        ("red", "blue", 12),
        ("blue", "red", 13),
    ]
    for text_colour, picture_colour, n in cases:
        thing = ("shoe", "hat", "bag")[n % 3]
        item = catalog_services.item_create(
            external_id=f"item-{n}", title=f"{text_colour} {thing}",
            images=[image_from_bytes(picture(picture_colour, green=40 + 9 * n))],
        )  # fmt: skip
        items[item.pk] = (text_colour, picture_colour)
    providers = {"colour-clip": {"BACKEND": "embeddings.providers.onnx.OnnxProvider",
                                 "OPTIONS": {"path": str(folder)}}}  # fmt: skip
    with override_settings(EMBEDDING_PROVIDERS=providers):
        space = spaces.space_create(name="colour-clip", provider_alias="colour-clip", activate=True)
        assert space.embeds_text and space.embeds_images
        assert queue.space_embed_pending(space=space).failed == 0
        catalog_scan(spaces=[space], thresholds=Thresholds())
    flagged = {f.items.get().pk: f for f in Finding.objects.filter(kind=FindingKind.MISMATCH)}
    wrong = {pk for pk, (text, shown) in items.items() if text != shown}
    assert set(flagged) == wrong
    for finding in flagged.values():
        assert finding.detail["similarity"] < 0 < finding.detail["median"]
        assert finding.detail["robust_z"] < -Thresholds().mismatch_z
