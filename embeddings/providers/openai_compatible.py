"""Any server that speaks OpenAI's embeddings API (``POST /v1/embeddings``): OpenAI itself,
gateways, infinity, vLLM, text-embeddings-inference, LiteLLM, llama.cpp, Ollama...

Wire format, as OpenAI documents it: ``Authorization: Bearer <key>`` and
``{"model": ..., "input": ["...", ...], "encoding_format": "float" | "base64",
"dimensions": n}``; the answer is ``{"object": "list", "data": [{"object": "embedding",
"index": i, "embedding": [...] | "<base64 little-endian float32>"}], "model": ...,
"usage": {"prompt_tokens": n, "total_tokens": n}}``; errors are ``{"error": {"message",
"type", "param", "code"}}``. Documented limits: at most 2048 inputs per request, no empty
string, 8192 tokens per input and 300,000 tokens summed over one request (OpenAI's models;
other servers have their own, hence the options below).

Sources:
- https://platform.openai.com/docs/api-reference/embeddings/create
  (= https://developers.openai.com/api/reference/resources/embeddings)
- https://platform.openai.com/docs/guides/embeddings

What the OpenAI docs do not cover, and how this provider handles it:
- Servers differ in models and output sizes: OPTIONS ``model`` and ``dimensions`` are
  required. ``dimensions`` says what the model returns; it is sent as the request's
  ``dimensions`` field only with ``send_dimensions: true`` (OpenAI's text-embedding-3
  models shorten their vectors to it; many servers reject the field).
- Images are not part of OpenAI's API. With ``images: true`` an image is sent as a string
  in ``input`` the way many self-hosted servers take it: raw base64 of the image bytes
  (``image_format: "base64"``, the default, as the project's gateway takes it for
  clip/siglip/bge-m3) or a data URL (``image_format: "data_url"``). Texts and images never
  share a request (servers pick one model tower per request).
- No query/document input type: ``query_prefix`` / ``document_prefix`` are prepended to
  texts (e.g. "query: " / "passage: " for e5, "search_query: " / "search_document: " for
  nomic-embed-text); without them queries and documents are sent alike.
- ``base_url`` rule: the embeddings path is ``{base_url}/v1/embeddings``; a base URL that
  already ends in ``/v1`` gets ``/embeddings`` only. So ``http://host:7997``,
  ``http://host:7997/`` and ``http://host:7997/v1`` all post to
  ``http://host:7997/v1/embeddings``, and ``https://gw/openai/v1`` to
  ``https://gw/openai/v1/embeddings``.
- base.Usage: ``prompt_tokens`` of text requests is recorded as text tokens; image requests
  record the images and pixels sent (servers count image "tokens" in their own ways).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx
import numpy as np
from django.core import checks

from embeddings.providers import base, http

MAX_INPUTS_PER_REQUEST = 2048  # OpenAI: "any array must be 2048 dimensions or less"
DEFAULT_MAX_BATCH = 64
DEFAULT_MAX_REQUEST_TOKENS = 300_000  # OpenAI: summed over all inputs of one request
ENCODING_FORMATS = ("float", "base64")
IMAGE_FORMATS = ("base64", "data_url")


def estimate_tokens(text: str) -> int:
    """A conservative token count (servers' tokenizers differ): about 3 characters each."""
    return len(text) // 3 + 1


class OpenAICompatibleProvider(http.HttpProvider):
    """OPTIONS (beside http.HttpProvider's): base_url, model and dimensions (required),
    api_key (else OPENAI_API_KEY; none sent when neither is set), send_dimensions (false),
    encoding_format ("float" | "base64"), max_batch (64, at most 2048),
    max_request_tokens (300,000; 0 for no budget), images (false), image_format ("base64" |
    "data_url"), max_image_pixels / max_image_bytes (none), query_prefix /
    document_prefix ("")."""

    vendor = "openai_compatible"
    default_base_url = ""
    default_model = ""
    api_key_env = "OPENAI_API_KEY"
    max_inputs_per_request = MAX_INPUTS_PER_REQUEST
    max_images_per_request = MAX_INPUTS_PER_REQUEST  # texts and images apart

    declared_options: ClassVar[Mapping[str, base.Option]] = http.vendor_options(
        base_url=base.Option(str, required=True),
        model=base.Option(str, required=True),
        dimensions=base.Option(int, required=True, minimum=1),
        send_dimensions=base.Option(bool, False),
        encoding_format=base.Option(str, "float", choices=ENCODING_FORMATS),
        max_batch=base.Option(int, DEFAULT_MAX_BATCH, minimum=1, maximum=MAX_INPUTS_PER_REQUEST),
        max_request_tokens=base.Option(int, DEFAULT_MAX_REQUEST_TOKENS, minimum=0),  # 0: no budget
        images=base.Option(bool, False),
        image_format=base.Option(str, "base64", choices=IMAGE_FORMATS),
        max_image_pixels=base.Option(int, minimum=1),
        max_image_bytes=base.Option(int, minimum=1),
        query_prefix=base.Option(str, ""),
        document_prefix=base.Option(str, ""),
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.max_request_tokens = self.options["max_request_tokens"] or None
        self.encoding_format = self.options["encoding_format"]
        self.image_format = self.options["image_format"]
        self.send_dimensions = self.options["send_dimensions"]
        self.query_prefix = self.options["query_prefix"]
        self.document_prefix = self.options["document_prefix"]
        max_pixels, max_bytes = self.options["max_image_pixels"], self.options["max_image_bytes"]
        # Per alias (image_limits is the vendor-wide class attribute): see images_limits().
        self.alias_image_limits = http.ImageLimits(max_pixels=max_pixels, max_bytes=max_bytes)
        self.dimensions = self.options["dimensions"]
        self.capabilities = self.hosted_capabilities(
            self.dimensions,
            image=self.options["images"],
            input_types=bool(self.query_prefix or self.document_prefix),
        )
        # "{base_url}/v1/embeddings", or "/embeddings" after a base URL ending in /v1.
        self.path = "/embeddings" if self.base_url.endswith("/v1") else "/v1/embeddings"

    def _key(self) -> str | None:
        return self.options.get("api_key") or os.environ.get("OPENAI_API_KEY") or None

    def auth_headers(self) -> dict[str, str]:
        # Self-hosted servers often run without a key: send none rather than fail.
        return super().auth_headers() if self._key() else {}

    def check(self) -> list[checks.CheckMessage]:
        # A key is optional for self-hosted servers (see auth_headers), not for OpenAI's.
        if self._key() or httpx.URL(self.base_url).host != "api.openai.com":
            return []
        return super().check()

    # --- batching: texts and images in separate requests -----------------------------------

    def images_limits(self) -> http.ImageLimits:
        return self.alias_image_limits

    def input_cost(self, parts: base.EmbeddingInput) -> int:
        part = parts[0]
        if isinstance(part, base.TextPart):
            prefix = max(self.query_prefix, self.document_prefix, key=len)
            return estimate_tokens(prefix + part.text)
        return 0  # images: servers count them their own way; max_batch bounds them

    def max_request_cost(self) -> int | None:
        return self.max_request_tokens

    # --- the wire format --------------------------------------------------------------------

    def request_for(
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> http.HttpRequest:
        prefix = self.query_prefix if input_type == base.InputType.QUERY else self.document_prefix
        body: dict[str, Any] = {
            "model": self.model,
            "input": [self._input(parts, prefix) for parts in inputs],
            "encoding_format": self.encoding_format,
        }
        if self.send_dimensions:
            body["dimensions"] = self.dimensions
        return http.HttpRequest(method="POST", path=self.path, json=body)

    def _input(self, parts: base.EmbeddingInput, prefix: str) -> str:
        part = parts[0]  # embed() hands a non-interleaving provider one part per input
        if isinstance(part, base.TextPart):
            return prefix + part.text
        return part.data_url() if self.image_format == "data_url" else part.base64()

    def parse(self, body: Any, inputs: Sequence[base.EmbeddingInput]) -> base.EmbeddingResult:
        data = body["data"]
        if len(data) != len(inputs):
            raise ValueError(f"{len(data)} embeddings for {len(inputs)} inputs")
        # OpenAI documents `index` as the input's position: order by it.
        ordered = sorted(data, key=lambda item: int(item["index"]))
        if [int(item["index"]) for item in ordered] != list(range(len(inputs))):
            raise ValueError("the answer's indices do not match the inputs")
        rows = [self._vector(item["embedding"]) for item in ordered]
        usage = base.Usage(inputs=len(inputs))
        if all(isinstance(parts[0], base.TextPart) for parts in inputs):
            usage.text_tokens = int((body.get("usage") or {}).get("prompt_tokens") or 0)
        for parts in inputs:
            if isinstance(parts[0], base.ImagePart):
                usage.images += 1
                usage.image_pixels += parts[0].pixels()
        return base.EmbeddingResult(vectors=np.stack(rows), usage=usage)

    def _vector(self, embedding: Any) -> np.ndarray:
        vector = http.decode_vector(embedding)  # a list, or encoding_format "base64"
        if vector.shape != (self.dimensions,):
            raise ValueError(
                f"the server returned vectors of shape {vector.shape}, but "
                f"OPTIONS['dimensions'] is {self.dimensions}"
            )
        return vector
