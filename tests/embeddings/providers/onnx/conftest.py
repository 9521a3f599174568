"""What the OnnxProvider tests share: tiny models built in tmp folders (see
tiny_models.py), whose vectors the tests compute with numpy alone, and small helpers to
embed through a provider and to compute the expected vectors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from embeddings.providers.base import (
    ImagePart,
    InputType,
    TextPart,
)
from embeddings.providers.onnx import OnnxProvider
from tests.conftest import REPO_ROOT
from tests.embeddings.providers.tiny_models import (
    TinyClip,
    TinySentenceModel,
    build_tiny_clip,
    build_tiny_sentence_model,
)

SHARED_MODELS = REPO_ROOT.parent / "shared" / "models"
QUERY = InputType.QUERY


@pytest.fixture
def tiny_clip(tmp_path: Path) -> TinyClip:
    return build_tiny_clip(tmp_path)


@pytest.fixture
def tiny_sentence(tmp_path: Path) -> TinySentenceModel:
    return build_tiny_sentence_model(tmp_path)


def provider_for(folder: Path, **options: Any) -> OnnxProvider:
    return OnnxProvider("local", {"path": str(folder), **options})


def embed_texts(provider: OnnxProvider, *texts: str) -> npt.NDArray[np.float32]:
    return provider.embed([[TextPart(text)] for text in texts], input_type=QUERY).vectors


def embed_images(provider: OnnxProvider, *images: bytes) -> npt.NDArray[np.float32]:
    parts = [[ImagePart(data, "image/png")] for data in images]
    return provider.embed(parts, input_type=QUERY).vectors


def encode(image: Image.Image, fmt: str = "PNG", **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def noise(width: int, height: int, seed: int = 3) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def unit(vector: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(vector, dtype=np.float64)
    return array / np.linalg.norm(array)


# -- sentence-transformers family --------------------------------------------------------


def sentence_ids(model: TinySentenceModel, *tokens: str) -> list[int]:
    return [model.vocab["[CLS]"], *(model.vocab[token] for token in tokens), model.vocab["[SEP]"]]


def expected_sentence(model: TinySentenceModel, ids: list[int], variant: str = "") -> Any:
    """Mean of the known rows of the real tokens (token type 0), normalised."""
    rows = model.tables[variant][ids].astype(np.float64)
    if model.type_table is not None:
        rows = rows + model.type_table[0]
    return unit(rows.mean(axis=0))
