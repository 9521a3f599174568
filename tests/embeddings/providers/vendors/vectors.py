"""The fake vendors' deterministic vectors: each part's vector is drawn from a SHA-256 of
what was sent, so a test computes the vector a request must get back without a model."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from embeddings.providers.base import ImagePart, TextPart, l2_normalise

Vector = npt.NDArray[np.float32]


def seeded_vector(
    seed: bytes, dimensions: int, *, drawn: int | None = None, normalized: bool = True
) -> Vector:
    """`drawn` numbers (default: `dimensions`) from a generator seeded by sha256(seed), cut
    to the first `dimensions` (a Matryoshka vendor's shorter vectors are prefixes of its
    full ones), L2-normalised unless told otherwise."""
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed).digest()[:8], "little"))
    vector = rng.standard_normal(drawn or dimensions).astype(np.float32)[:dimensions]
    if not normalized:
        return vector
    # Normalised as providers normalise, until that changes nothing: the vector a provider
    # returns for it is then the same to the last bit.
    for _ in range(8):
        again = l2_normalise(vector)[0]
        if np.array_equal(again, vector):
            break
        vector = again
    return vector


def summed_vector(vectors: Iterable[npt.ArrayLike]) -> Vector:
    """One vector for an interleaved input: the L2-normalised sum of its parts' vectors."""
    total = np.sum([np.asarray(vector, dtype=np.float64) for vector in vectors], axis=0)
    return np.asarray(total / np.linalg.norm(total), dtype=np.float32)


def typed_part_vector(kind: str, content: bytes, dimensions: int, input_type: str | None) -> Vector:
    """Cohere's and Voyage's fakes: the vendor's input type, the part's kind ("text" or
    "image") and its content as sent seed the vector."""
    return seeded_vector(f"{input_type}\0{kind}\0".encode() + content, dimensions)


def typed_input_vector(
    parts: Sequence[TextPart | ImagePart], *, dimensions: int, input_type: str | None
) -> Vector:
    """The vector Cohere's or Voyage's fake answers for one interleaved input of `parts`
    (as sent: weights ignored, as both vendors ignore them)."""
    return summed_vector(
        typed_part_vector("text", part.text.encode(), dimensions, input_type)
        if isinstance(part, TextPart)
        else typed_part_vector("image", part.data, dimensions, input_type)
        for part in parts
    )
