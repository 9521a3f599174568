"""A minimal in-memory OpenAI-compatible embeddings server (``POST /v1/embeddings``), for
tests; it answers on any host.

- Auth: ``Authorization: Bearer <key>`` with a key starting "test-key" (OpenAI's 401 body
  otherwise, with the key masked as OpenAI masks it).
- Body as OpenAI documents it: ``model``, ``input`` (a string or 1-2048 non-empty
  strings), ``encoding_format`` ("float" | "base64"), ``dimensions`` (only for the
  text-embedding-3 models, at most their size), ``user``; anything else is OpenAI's
  "Unrecognized request argument" 400. Tokens: len(text) // 4 + 1 per text, at most 8192
  per input and 300,000 per request.
- Models: ``MODELS`` (name -> (dimensions, takes images, takes ``dimensions``)). Like the
  project's gateway, clip / siglip / bge-m3 take images as strings in ``input``: raw base64
  of the image bytes, or a ``data:image/...;base64,`` URL. One request holds texts or
  images, not both (this fake's rule: such servers pick one tower per request).

Vectors: ``expected_vector`` — a unit vector drawn from a generator seeded with
sha256("text:" + the text as sent) or sha256("image:" + the decoded image bytes) and the
dimension. Inputs are single texts or single images (the provider is not interleaved), so
no combined hash is needed. Query/document prefixes are the caller's: pass the prefixed
text as the part's text when an alias sets them.
"""

from __future__ import annotations

import base64
import binascii
import json

import httpx
import numpy as np

from embeddings.providers.base import ImagePart, TextPart
from embeddings.providers.http import ImageLimits, fit_image
from tests.embeddings.providers.vendors.vectors import seeded_vector

# name -> (dimensions, takes images, accepts the `dimensions` field)
MODELS: dict[str, tuple[int, bool, bool]] = {
    "clip": (512, True, False),
    "siglip": (768, True, False),
    "bge-m3": (1024, True, False),
    "nomic-embed-text": (768, False, False),
    "text-embedding-3-small": (1536, False, True),
    "text-embedding-3-large": (3072, False, True),
}
MAX_INPUTS = 2048
MAX_INPUT_TOKENS = 8192
MAX_REQUEST_TOKENS = 300_000
FIELDS = {"model", "input", "encoding_format", "dimensions", "user"}
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")


def tokens(text: str) -> int:
    return len(text) // 4 + 1


def _vector(kind: str, content: bytes, dimensions: int) -> np.ndarray:
    return seeded_vector(kind.encode() + b":" + content, dimensions)


def expected_vector(
    part: TextPart | ImagePart, *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """The vector this fake gives ``part`` as the provider sends it (no prefixes; images
    as the default image limits leave them, i.e. unchanged)."""
    if isinstance(part, TextPart):
        return _vector("text", part.text.encode("utf-8"), dimensions)
    return _vector("image", fit_image(part, ImageLimits()).data, dimensions)


def _error(
    status: int, message: str, *, type_: str = "invalid_request_error", code: str | None = None
) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"message": message, "type": type_, "param": None, "code": code}}
    )


def _invalid_input() -> httpx.Response:
    return _error(
        400,
        "'$.input' is invalid. Please check the API reference: "
        "https://platform.openai.com/docs/api-reference.",
    )


def _masked(key: str) -> str:
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else "*" * len(key)


def _image(value: str, takes_images: bool) -> bytes | None:
    """The image bytes when this input is an image for this model, else None (text)."""
    if not takes_images:
        return None
    if value.startswith("data:image/"):
        header, _, payload = value.partition(",")
        if not header.endswith(";base64"):
            return None
        value = payload
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(IMAGE_MAGIC) else None


def handler(request: httpx.Request) -> httpx.Response:
    if request.method != "POST" or request.url.path != "/v1/embeddings":
        return _error(404, f"Invalid URL ({request.method} {request.url.path})")
    authorization = request.headers.get("authorization", "")
    if not authorization.startswith("Bearer "):
        return _error(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    key = authorization.removeprefix("Bearer ")
    if not key.startswith("test-key"):
        return _error(
            401,
            f"Incorrect API key provided: {_masked(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    try:
        body = json.loads(request.content)
    except ValueError:
        return _error(400, "We could not parse the JSON body of your request.")
    if not isinstance(body, dict):
        return _error(400, "We could not parse the JSON body of your request.")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return _error(400, f"Unrecognized request argument supplied: {unknown[0]}")
    model = body.get("model")
    if not model:
        return _error(400, "You must provide a model parameter.")
    if model not in MODELS:
        return _error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    native, takes_images, shortens = MODELS[model]
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        return _error(400, f"Invalid value for 'encoding_format': {encoding!r}.")
    dimensions = native
    if "dimensions" in body:
        if not shortens:
            return _error(400, "This model does not support specifying dimensions.")
        dimensions = body["dimensions"]
        if not isinstance(dimensions, int) or not 1 <= dimensions <= native:
            return _error(400, f"Invalid value for 'dimensions' = {dimensions}.")
    inputs = body.get("input")
    if isinstance(inputs, str):
        inputs = [inputs]
    if (
        not isinstance(inputs, list)
        or not 1 <= len(inputs) <= MAX_INPUTS
        or not all(isinstance(value, str) and value for value in inputs)
    ):
        return _invalid_input()
    images = [_image(value, takes_images) for value in inputs]
    if any(image is not None for image in images) and any(image is None for image in images):
        return _error(400, "Cannot mix text and image inputs in one request.")
    prompt_tokens = 0
    vectors = []
    for value, image in zip(inputs, images, strict=True):
        if image is None:
            count = tokens(value)
            if count > MAX_INPUT_TOKENS:
                return _error(
                    400,
                    f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, "
                    f"however you requested {count} tokens. Please reduce your prompt.",
                )
            prompt_tokens += count
            vectors.append(_vector("text", value.encode("utf-8"), dimensions))
        else:
            vectors.append(_vector("image", image, dimensions))
    if prompt_tokens > MAX_REQUEST_TOKENS:
        return _error(
            400,
            f"Requested {prompt_tokens} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
        )
    data = [
        {
            "object": "embedding",
            "index": index,
            "embedding": (
                base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
                if encoding == "base64"
                else vector.tolist()
            ),
        }
        for index, vector in enumerate(vectors)
    ]
    return httpx.Response(
        200,
        json={
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        },
    )


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)
