"""Voyage AI multimodal embeddings (``voyage-multimodal-3.5``, ``voyage-multimodal-3``):
text, images, or both interleaved in one input -> one vector.

Wire format, as Voyage documents it:

- ``POST https://api.voyageai.com/v1/multimodalembeddings``, ``Authorization: Bearer <key>``
  (env ``VOYAGE_API_KEY``, the name Voyage's own client reads).
- Body ``{"inputs": [{"content": [{"type": "text", "text": ...},
  {"type": "image_base64", "image_base64": "data:image/png;base64,..."}]}], "model": ...,
  "input_type": "query" | "document" | null, "truncation": bool, "output_encoding": "base64"}``.
  One request uses either ``image_url`` or ``image_base64``, never both: we always send base64
  data URLs (PNG, JPEG, WebP or GIF).
- Answer ``{"object": "list", "data": [{"object": "embedding", "embedding": ..., "index": i}],
  "model": ..., "usage": {"text_tokens", "image_pixels", "total_tokens"}}``; with
  ``output_encoding: "base64"`` each embedding is a base64 NumPy float32 array (little-endian).
- Limits: at most 1,000 inputs per request; an image at most 16 million pixels and 20 MB;
  every 560 pixels count as one token; at most 32,000 tokens per input and 320,000 per request.
- Errors are ``{"detail": "..."}`` (what Voyage's Python client reads), 400/401/403 permanent,
  429 and 500/502/503/504 worth retrying.

Sources:
https://docs.voyageai.com/reference/multimodal-embeddings-api,
https://docs.voyageai.com/docs/multimodal-embeddings,
https://docs.voyageai.com/docs/error-codes,
https://github.com/voyage-ai/voyageai-python (object/multimodal_embeddings.py,
api_resources/api_requestor.py, tests/test_client_multimodal.py).

Where the docs are thin: the multimodal-embeddings page lists 256, 512, 1024 (default) and
2048 dimensions for ``voyage-multimodal-3.5`` but the request parameter is only spelled out
for the text endpoint (``output_dimension``); we send that name, and only when
OPTIONS["dimensions"] is set. ``voyage-multimodal-3`` has 1024 dimensions only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from embeddings.providers import base, http

# model -> (default dimensions, dimensions the model can return)
MODELS: dict[str, tuple[int, tuple[int, ...]]] = {
    "voyage-multimodal-3.5": (1024, (256, 512, 1024, 2048)),
    "voyage-multimodal-3": (1024, (1024,)),
}
INPUT_TYPES = {base.InputType.QUERY: "query", base.InputType.DOCUMENT: "document"}
PIXELS_PER_TOKEN = 560
MAX_TOKENS_PER_REQUEST = 320_000
# Not in the docs: Voyage's client tests (test_client_count_usage) bill a 10x10 image as
# 50,000 pixels. Budgeting small images at that floor keeps a request of many thumbnails
# within the token limit; large images are budgeted at their full size (Voyage bills at
# most 2,000,000 pixels per image in the same tests, so this over-estimates them).
MIN_BILLED_PIXELS = 50_000


def estimate_text_tokens(text: str) -> int:
    """Voyage's tokenizer is not available offline; three characters per token is a
    conservative guess for English and most European text."""
    return len(text) // 3 + 1


class VoyageProvider(http.HttpProvider):
    """OPTIONS (besides the ones every hosted provider understands): ``model``
    (voyage-multimodal-3.5 by default, or voyage-multimodal-3), ``dimensions`` (3.5 only:
    256, 512, 1024 or 2048), ``truncation`` (default True: over-long inputs are cut by Voyage
    rather than refused), ``max_batch`` (inputs per call, at most 1,000)."""

    vendor = "voyage"
    default_base_url = "https://api.voyageai.com"
    default_model = "voyage-multimodal-3.5"
    api_key_env = "VOYAGE_API_KEY"
    max_inputs_per_request = 1000
    image_limits = http.ImageLimits(max_pixels=16_000_000, max_bytes=20_000_000)
    declared_options: ClassVar[Mapping[str, base.Option]] = http.vendor_options(
        model=base.Option(str, choices=tuple(MODELS)),
        truncation=base.Option(bool, True),
        max_batch=base.Option(int, 1000, minimum=1, maximum=1000),
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        default_dimensions, choices = MODELS[self.model]
        dimensions = self.options["dimensions"] or default_dimensions
        if dimensions not in choices:
            expected = f"{' or '.join(map(str, choices))} for {self.model}"
            raise base.invalid_option(alias, "dimensions", expected, dimensions)
        # Only the models with a choice, and only when chosen, are sent the parameter.
        chosen = self.options["dimensions"] is not None and len(choices) > 1
        self.output_dimension = dimensions if chosen else None
        self.truncation = self.options["truncation"]
        self.capabilities = self.hosted_capabilities(dimensions, interleaved=True)

    def request_for(
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> http.HttpRequest:
        body: dict[str, Any] = {
            "inputs": [{"content": [self._content(part) for part in parts]} for parts in inputs],
            "model": self.model,
            "input_type": INPUT_TYPES[input_type],
            "truncation": self.truncation,
            "output_encoding": "base64",
        }
        if self.output_dimension is not None:
            body["output_dimension"] = self.output_dimension
        return http.HttpRequest(method="POST", path="/v1/multimodalembeddings", json=body)

    @staticmethod
    def _content(part: base.TextPart | base.ImagePart) -> dict[str, str]:
        if isinstance(part, base.TextPart):
            return {"type": "text", "text": part.text}
        return {"type": "image_base64", "image_base64": part.data_url()}

    def parse(self, body: Any, inputs: Sequence[base.EmbeddingInput]) -> base.EmbeddingResult:
        rows = sorted(body["data"], key=lambda row: int(row["index"]))
        if [int(row["index"]) for row in rows] != list(range(len(inputs))):
            raise ValueError(f"expected {len(inputs)} embeddings indexed 0..{len(inputs) - 1}")
        vectors = np.stack([http.decode_vector(row["embedding"]) for row in rows])
        usage = body.get("usage") or {}
        return base.EmbeddingResult(
            vectors=vectors.astype(np.float32, copy=False),
            usage=base.Usage(
                inputs=len(inputs),
                text_tokens=int(usage.get("text_tokens", 0)),
                images=sum(isinstance(part, base.ImagePart) for parts in inputs for part in parts),
                image_pixels=int(usage.get("image_pixels", 0)),
            ),
        )

    # --- the token budget of one request -------------------------------------------------------

    def input_cost(self, parts: base.EmbeddingInput) -> int:
        tokens = 0
        for part in parts:
            if isinstance(part, base.TextPart):
                tokens += estimate_text_tokens(part.text)
            else:
                pixels = max(part.pixels(), MIN_BILLED_PIXELS)
                tokens += math.ceil(pixels / PIXELS_PER_TOKEN)
        return tokens

    def max_request_cost(self) -> int:
        return MAX_TOKENS_PER_REQUEST
