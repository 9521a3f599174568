"""Query vectors: a search's parts (text, an image, negative text, an item for "more like
this"), each weighted, as one vector of a space."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from embeddings.models import Embedding, EmbeddingSpace
from embeddings.providers.base import (
    EmbeddingInput,
    ImagePart,
    InputType,
    Part,
    TextPart,
    Vectors,
    fuse,
    l2_normalise,
)
from embeddings.space_provider import space_embed, space_provider


class _QueryVectorCache:
    """Text query vectors per model, in process: repeated queries skip the model."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str, str], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Vectors | None:
        with self._lock:
            vector = self._entries.get(key)
            if vector is not None:
                self._entries.move_to_end(key)
            return vector

    def put(self, key: tuple[str, str, str], vector: Vectors) -> None:
        with self._lock:
            self._entries[key] = vector
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


query_vector_cache = _QueryVectorCache()


def space_query_vector(
    *,
    space: EmbeddingSpace,
    text: str = "",
    text_weight: float = 1.0,
    image: ImagePart | None = None,
    image_weight: float = 1.0,
    negative_text: str = "",
    negative_weight: float = 0.5,
    item_id: int | None = None,
    item_weight: float = 1.0,
) -> Vectors | None:
    """The query as one vector of this space: the weighted sum of the normalised vectors of
    the parts the space can embed (negative text pulls away). None when the space can
    embed no positive part of the query (a text-only space and an image query)."""
    capabilities = space_provider(space).capabilities
    parts: list[Part] = []
    weights: list[float] = []
    if text and capabilities.text and text_weight > 0:
        parts.append(TextPart(text))
        weights.append(text_weight)
    if image is not None and capabilities.image and image_weight > 0:
        parts.append(image)
        weights.append(image_weight)
    item_vector = _item_vector(space, item_id) if item_id is not None else None
    if not parts and item_vector is None:
        return None
    rows: list[Vectors] = []
    if len(parts) == 2 and capabilities.interleaved and weights[0] == weights[1]:
        # Text and image as one input: the model reads them together (Voyage, Cohere).
        result = space_embed(space=space, inputs=[tuple(parts)], input_type=InputType.QUERY)
        rows.append(result.vectors)
        parts, weights = [], [1.0]
    if negative_text and capabilities.text and negative_weight > 0:
        parts.append(TextPart(negative_text))
        weights.append(-negative_weight)
    if parts:
        rows.append(_embed_parts(space, parts))
    if item_vector is not None and item_weight > 0:
        rows.append(item_vector[None, :])
        weights.append(item_weight)
    return fuse(np.concatenate(rows), weights)


def _embed_parts(space: EmbeddingSpace, parts: Sequence[Part]) -> Vectors:
    """Embed each part on its own (query input type); text vectors come from the cache."""
    vectors: list[Vectors | None] = []
    missing: list[tuple[int, Part]] = []
    for index, part in enumerate(parts):
        cached = None
        if isinstance(part, TextPart):
            cached = query_vector_cache.get((space.provider_alias, space.model_name, part.text))
        vectors.append(cached)
        if cached is None:
            missing.append((index, part))
    if missing:
        inputs: list[EmbeddingInput] = [(part,) for _, part in missing]
        result = space_embed(space=space, inputs=inputs, input_type=InputType.QUERY)
        for (index, part), vector in zip(missing, result.vectors, strict=True):
            vectors[index] = vector
            if isinstance(part, TextPart):
                query_vector_cache.put((space.provider_alias, space.model_name, part.text), vector)
    return np.stack([v for v in vectors if v is not None])


def _item_vector(space: EmbeddingSpace, item_id: int) -> Vectors | None:
    """ "More like this": the item's own vectors in the space (text and images), averaged."""
    rows = Embedding.objects.filter(space=space, item_id=item_id).values_list("vector", flat=True)
    stored = [np.asarray(vector, dtype=np.float32) for vector in rows]
    if not stored:
        return None
    return l2_normalise(np.mean(l2_normalise(np.stack(stored)), axis=0))[0]
