"""Jina AI's embeddings API with jina-clip-v2: text and images in one 1024-dimensional
space (Matryoshka: any size from 64 to 1024), one vector per text or image.

Wire format, as Jina documents it:

- ``POST https://api.jina.ai/v1/embeddings``, ``Authorization: Bearer $JINA_API_KEY``,
  ``Accept: application/json`` (Jina asks for it on every call).
- Body: ``model``, ``input`` (a list of ``{"text": ...}`` or ``{"image": <URL or base64>}``
  objects; texts and images may share one request), ``task`` (``retrieval.query`` /
  ``retrieval.passage`` for search), ``dimensions``, ``normalized``, ``embedding_type``
  (``float`` by default, or ``base64``: little-endian float32 bytes) and ``truncate``.
- Answer: ``{"model", "object": "list", "data": [{"object": "embedding", "index",
  "embedding"}], "usage": {"total_tokens", "prompt_tokens"}}``; errors as
  ``{"detail": "[RID: ...] message"}``.

Sources:
- https://api.jina.ai/openapi.json (auth header, rate limits, error codes: 400 for bad
  input, 401 bad key, 403 balance)
- https://github.com/jina-ai/meta-prompt/blob/main/v14.txt (Jina's own API digest: the
  request schema "for jina-embeddings-v3 or jina-clip-v2" with its fields and values)
- https://jina.ai/embeddings/ (the jina-clip-v2 example request: ``{"image": URL}`` and
  ``{"image": <raw base64, no data: prefix>}`` next to ``{"text": ...}``)
- https://jina.ai/news/jina-clip-v2-multilingual-multimodal-embeddings-for-text-and-images
  (8,192 tokens per text, 512×512-pixel image input, output 64 to 1,024 dimensions)

Where the docs are silent (see the constants below): a per-request input count for
jina-clip-v2, and any image byte or pixel limit. Jina bills images in tokens by tiles of
the model's input size (third-party reports; not in the pages above), so images are
downscaled to the 512×512 pixels the model sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from embeddings.providers import base, http

MODELS = ("jina-clip-v2",)
FULL_DIMENSIONS, SMALLEST_DIMENSIONS = 1024, 64  # Matryoshka sizes; the blog's model table
TASKS = {base.InputType.QUERY: "retrieval.query", base.InputType.DOCUMENT: "retrieval.passage"}
EMBEDDING_TYPES = ("float", "base64")
# No documented count for jina-clip-v2; the endpoint's own validation error reads "input
# length is larger than the largest allowed size 2048" (github.com/refly-ai/refly#831).
MAX_INPUTS_PER_REQUEST = 2048
MODEL_IMAGE_SIDE = 512


class JinaProvider(http.HttpProvider):
    """OPTIONS (besides the shared ones in `http.HttpProvider`): model (jina-clip-v2),
    dimensions (64..1024, default 1024), embedding_type ("float" or "base64"), truncate
    (default True: Jina cuts texts over 8,192 tokens instead of failing the batch),
    max_batch (inputs per call, default 32)."""

    vendor = "jina"
    default_base_url = "https://api.jina.ai/v1"
    default_model = "jina-clip-v2"
    api_key_env = "JINA_API_KEY"
    max_inputs_per_request = MAX_INPUTS_PER_REQUEST
    image_limits: ClassVar[http.ImageLimits] = http.ImageLimits(max_pixels=MODEL_IMAGE_SIDE**2)

    declared_options: ClassVar[Mapping[str, base.Option]] = http.vendor_options(
        model=base.Option(str, choices=MODELS),
        dimensions=base.Option(int, minimum=SMALLEST_DIMENSIONS, maximum=FULL_DIMENSIONS),
        embedding_type=base.Option(str, "float", choices=EMBEDDING_TYPES),
        truncate=base.Option(bool, True),
        max_batch=base.Option(int, 32, minimum=1),
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.embedding_type = self.options["embedding_type"]
        self.truncate = self.options["truncate"]
        # One vector per text or image (not interleaved): mixed inputs are fused.
        self.capabilities = self.hosted_capabilities(self.options["dimensions"] or FULL_DIMENSIONS)

    def request_for(
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> http.HttpRequest:
        return http.HttpRequest(
            method="POST",
            path="/embeddings",
            json={
                "model": self.model,
                "input": [input_object(parts) for parts in inputs],
                "task": TASKS[input_type],
                "dimensions": self.capabilities.dimensions,
                "normalized": True,
                "embedding_type": self.embedding_type,
                "truncate": self.truncate,
            },
            headers={"Accept": "application/json"},
        )

    def parse(self, body: Any, inputs: Sequence[base.EmbeddingInput]) -> base.EmbeddingResult:
        data = body["data"]
        if len(data) != len(inputs):
            raise ValueError(f"{len(data)} embeddings for {len(inputs)} inputs")
        vectors = np.zeros((len(inputs), self.capabilities.dimensions), dtype=np.float32)
        indices = [int(item.get("index", position)) for position, item in enumerate(data)]
        if sorted(indices) != list(range(len(inputs))):
            raise ValueError(f"indices {indices} do not cover the {len(inputs)} inputs")
        for index, item in zip(indices, data, strict=True):
            vectors[index] = http.decode_vector(item["embedding"])
        usage = body.get("usage") or {}
        images = [part for parts in inputs for part in parts if isinstance(part, base.ImagePart)]
        return base.EmbeddingResult(
            vectors=vectors,
            usage=base.Usage(
                inputs=len(inputs),
                # Jina counts image tokens in the same total as text tokens.
                text_tokens=int(usage.get("total_tokens") or usage.get("prompt_tokens") or 0),
                images=len(images),
                image_pixels=sum(image.pixels() for image in images),
            ),
        )


def input_object(parts: base.EmbeddingInput) -> dict[str, str]:
    """One part per input (jina-clip-v2 is not interleaved): a text or a base64 image."""
    (part,) = parts
    if isinstance(part, base.TextPart):
        return {"text": part.text}
    return {"image": part.base64()}
