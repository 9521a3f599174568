"""Cohere Embed v4 (``embed-v4.0``): text, images, or both interleaved in one input -> one
vector, at 256, 512, 1024 or 1536 (default) dimensions.

Wire format, as Cohere documents it (API v2):

- ``POST https://api.cohere.com/v2/embed``, ``Authorization: Bearer <key>``.
- Body ``{"model": "embed-v4.0", "input_type": "search_query" | "search_document",
  "inputs": [{"content": [{"type": "text", "text": ...},
  {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}]}],
  "embedding_types": ["float"], "output_dimension": 1536, "truncate": "END"}``.
  ``input_type`` is required; ``output_dimension`` exists for embed-v4 and newer only.
- Answer ``{"id", "embeddings": {"float": [[...], ...]}, "texts", "images",
  "meta": {"api_version", "billed_units": {"input_tokens", "images", "image_tokens", ...}}}``;
  the embeddings are in input order (no index field).
- Errors are ``{"message": "...", "id": "..."}``.
- Limits: at most 96 inputs per call; images as data URIs in JPEG, PNG, WebP or GIF.

Sources:
https://docs.cohere.com/reference/embed (v2 request/response, OpenAPI schema),
https://docs.cohere.com/docs/cohere-embed (models, dimensions, 128k context),
https://docs.cohere.com/docs/multimodal-embeddings (fused text + image inputs),
https://github.com/cohere-ai/cohere-python (src/cohere/types/embed_content.py,
embed_image_url.py; the client reads its key from ``CO_API_KEY``).

Choices where the docs are unclear:

- Image size: the reference gives 5 MB per image for the ``images`` field and, in its newer
  text, "no limit on the number of images per call, combined size at most 20 MB" for
  Embed v4. Neither says whether the encoded data URI or the file counts, nor gives a
  per-image limit for ``inputs``. We keep every image's data URI within 5 MB (file at most
  3,750,000 bytes, re-encoded otherwise) and the data URIs of one request within 20 MB.
- ``base64`` embeddings are documented as "the float embedding bytes ... base64 encoded"
  without width or byte order, so we ask for ``float``.
- No per-request token limit is documented (128k tokens is the context of one input, cut
  by ``truncate``), so the only budget besides the 96 inputs is the image bytes.
- ``billed_units.input_tokens`` becomes ``base.Usage.text_tokens``; ``image_tokens`` has no
  field in ``base.Usage`` and is not recorded.

The key: OPTIONS["api_key"], else ``COHERE_API_KEY`` (this project's name), else
``CO_API_KEY`` (the name Cohere's SDK reads).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from django.core import checks

from embeddings.providers import base, http

MODELS = ("embed-v4.0",)
DIMENSIONS = (256, 512, 1024, 1536)  # embed-v4.0's; 1536 by default
TRUNCATE = ("NONE", "START", "END")
INPUT_TYPES = {base.InputType.QUERY: "search_query", base.InputType.DOCUMENT: "search_document"}
SDK_API_KEY_ENV = "CO_API_KEY"
MAX_DATA_URI_BYTES = 5_000_000  # per image
MAX_REQUEST_IMAGE_BYTES = 20_000_000  # all data URIs of one request
DATA_URI_PREFIX = len("data:image/jpeg;base64,")


def data_uri_length(part: base.ImagePart) -> int:
    return len("data:;base64,") + len(part.content_type) + 4 * ((len(part.data) + 2) // 3)


class CohereProvider(http.HttpProvider):
    """OPTIONS (besides the ones every hosted provider understands): ``model`` (embed-v4.0),
    ``dimensions`` (256, 512, 1024 or 1536, the default), ``truncate`` (END by default:
    NONE, START or END), ``max_batch`` (inputs per call, at most 96)."""

    vendor = "cohere"
    default_base_url = "https://api.cohere.com"
    default_model = "embed-v4.0"
    api_key_env = "COHERE_API_KEY"
    max_inputs_per_request = 96
    # The file size that keeps the base64 data URI within 5 MB.
    image_limits = http.ImageLimits(max_bytes=(MAX_DATA_URI_BYTES - DATA_URI_PREFIX) * 3 // 4)

    declared_options: ClassVar[Mapping[str, base.Option]] = http.vendor_options(
        model=base.Option(str, choices=MODELS),
        dimensions=base.Option(int, choices=DIMENSIONS),
        truncate=base.Option(str, "END"),  # NONE, START or END, in any case
        max_batch=base.Option(int, 96, minimum=1, maximum=96),
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.truncate = self.options["truncate"].upper()
        if self.truncate not in TRUNCATE:
            raise base.invalid_option(
                alias, "truncate", "one of " + ", ".join(TRUNCATE), self.truncate
            )
        self.capabilities = self.hosted_capabilities(
            self.options["dimensions"] or DIMENSIONS[-1], interleaved=True
        )

    # --- the key: COHERE_API_KEY, else the SDK's CO_API_KEY ------------------------------------

    def api_key(self) -> str:
        key = (
            self.options.get("api_key")
            or os.environ.get(self.api_key_env or "")
            or os.environ.get(SDK_API_KEY_ENV)
        )
        if not key:
            raise base.PermanentProviderError(
                self.alias,
                f"no API key: set the {self.api_key_env} (or {SDK_API_KEY_ENV}) environment "
                "variable or OPTIONS['api_key']",
            )
        return str(key)

    def check(self) -> list[checks.CheckMessage]:
        if os.environ.get(SDK_API_KEY_ENV):
            return []
        return super().check()

    # --- the call --------------------------------------------------------------------------------

    def request_for(
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> http.HttpRequest:
        body: dict[str, Any] = {
            "model": self.model,
            "input_type": INPUT_TYPES[input_type],
            "inputs": [{"content": [self._content(part) for part in parts]} for parts in inputs],
            "embedding_types": ["float"],
            "output_dimension": self.capabilities.dimensions,
            "truncate": self.truncate,
        }
        return http.HttpRequest(method="POST", path="/v2/embed", json=body)

    @staticmethod
    def _content(part: base.TextPart | base.ImagePart) -> dict[str, Any]:
        if isinstance(part, base.TextPart):
            return {"type": "text", "text": part.text}
        return {"type": "image_url", "image_url": {"url": part.data_url()}}

    def parse(self, body: Any, inputs: Sequence[base.EmbeddingInput]) -> base.EmbeddingResult:
        rows = body["embeddings"]["float"]
        if len(rows) != len(inputs):
            raise ValueError(f"expected {len(inputs)} embeddings, got {len(rows)}")
        vectors = np.asarray(rows, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError("embeddings of different lengths")
        billed = (body.get("meta") or {}).get("billed_units") or {}
        sent_images = [
            part for parts in inputs for part in parts if isinstance(part, base.ImagePart)
        ]
        answered = body.get("images") or []
        # Cohere reports the images' sizes when it lists them; otherwise count what was sent.
        pixels = (
            sum(int(image["width"]) * int(image["height"]) for image in answered)
            if answered
            else sum(part.pixels() for part in sent_images)
        )
        return base.EmbeddingResult(
            vectors=vectors,
            usage=base.Usage(
                inputs=len(inputs),
                text_tokens=int(billed.get("input_tokens", 0)),
                images=int(billed.get("images", len(sent_images))),
                image_pixels=pixels,
            ),
        )

    # --- the image budget of one request ---------------------------------------------------------

    def input_cost(self, parts: base.EmbeddingInput) -> int:
        return sum(data_uri_length(part) for part in parts if isinstance(part, base.ImagePart))

    def max_request_cost(self) -> int:
        return MAX_REQUEST_IMAGE_BYTES
