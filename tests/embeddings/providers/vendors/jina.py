"""A minimal in-memory Jina embeddings API: ``POST /v1/embeddings`` as the docs cited in
`embeddings.providers.jina` describe it.

It checks ``Authorization: Bearer <key>`` (keys starting with "test-key" are valid),
rejects bodies that are not the documented shape with Jina's 400 ``{"detail": "[RID: …]
…"}``, and answers with deterministic vectors: for each input, SHA-256 over a tag and its
content seeds numpy's ``default_rng``, whose standard-normal draw of the model's 1024
dimensions is cut to ``dimensions`` (Matryoshka) and L2-normalised when ``normalized``.

- text: ``b"text\\0" + task + b"\\0" + utf-8 text`` (jina-clip-v2's task adapters act on
  the text tower only, so the task changes text vectors and not image vectors);
- image: ``b"image\\0" + the decoded bytes`` exactly as sent.

Usage is ``{"total_tokens", "prompt_tokens"}``: a text counts ``len(text) // 4 + 1`` tokens
and an image 4,000 per started 512×512 tile (the fake's own rule; Jina's is not in the
docs cited).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from typing import Any

import httpx
import numpy as np
from PIL import Image

from embeddings.providers.base import ImagePart, TextPart
from embeddings.providers.http import fit_image
from embeddings.providers.jina import JinaProvider
from tests.embeddings.providers.vendors.vectors import seeded_vector

VALID_KEY_PREFIX = "test-key"
MODEL = "jina-clip-v2"
FULL_DIMENSIONS = 1024
FIELDS = {
    "model",
    "input",
    "embedding_type",
    "task",
    "dimensions",
    "normalized",
    "late_chunking",
    "truncate",
}
TASKS = {"retrieval.query", "retrieval.passage", "text-matching", "classification", "separation"}
TASK_FOR_INPUT_TYPE = {"query": "retrieval.query", "document": "retrieval.passage"}
EMBEDDING_TYPES = {"float", "base64"}  # Jina also offers binary/ubinary; this fake does not


def handler(request: httpx.Request) -> httpx.Response:
    request.read()
    if request.url.path != "/v1/embeddings":
        return httpx.Response(404, json={"detail": "Not Found"})
    if request.method != "POST":
        return httpx.Response(405, json={"detail": "Method Not Allowed"})
    authorization = request.headers.get("authorization", "")
    if not authorization.startswith("Bearer "):
        return error(401, "Authentication required")
    if not authorization.removeprefix("Bearer ").startswith(VALID_KEY_PREFIX):
        return error(401, "Invalid API key")
    try:
        body = json.loads(request.content)
    except ValueError:
        return error(400, "Request body is not valid JSON")
    problem = validate(body)
    if problem:
        return error(400, f"Validation error: {problem}")
    task = body.get("task")
    dimensions = body.get("dimensions") or FULL_DIMENSIONS
    normalized = bool(body.get("normalized", False))
    data = []
    tokens = 0
    for index, item in enumerate(body["input"]):
        if "text" in item:
            seed = text_seed(item["text"], task)
            tokens += len(item["text"]) // 4 + 1
        else:
            image = base64.b64decode(item["image"], validate=True)
            seed = image_seed(image)
            tokens += image_tokens(image)
        vector = vector_for(seed, dimensions, normalized=normalized)
        embedding: Any = (
            base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
            if body.get("embedding_type") == "base64"
            else vector.tolist()
        )
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    return httpx.Response(
        200,
        json={
            "model": MODEL,
            "object": "list",
            "usage": {"total_tokens": tokens, "prompt_tokens": tokens},
            "data": data,
        },
    )


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def expected_vector(
    part: TextPart | ImagePart, *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """The vector this fake answers for `part` as JinaProvider sends it (images re-encoded
    first when over the provider's limits), asked with normalized=true."""
    if isinstance(part, TextPart):
        task = TASK_FOR_INPUT_TYPE[str(input_type)] if input_type else None
        return vector_for(text_seed(part.text, task), dimensions, normalized=True)
    sent = fit_image(part, JinaProvider.image_limits)
    return vector_for(image_seed(sent.data), dimensions, normalized=True)


# --- the documented request shape ------------------------------------------------------------


def validate(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}"
    for name in ("model", "input"):
        if name not in body:
            return f"'{name}' is required"
    if body["model"] != MODEL:
        return f"Model '{body['model']}' not found"
    inputs = body["input"]
    if not isinstance(inputs, list) or not inputs:
        return "'input' must be a non-empty array"
    if len(inputs) > 2048:
        return "input length is larger than the largest allowed size 2048"
    for index, item in enumerate(inputs):
        problem = validate_item(item)
        if problem:
            return f"input[{index}]: {problem}"
    if "task" in body and body["task"] not in TASKS:
        return f"'task' must be one of {', '.join(sorted(TASKS))}"
    if "dimensions" in body:
        dimensions = body["dimensions"]
        if isinstance(dimensions, bool) or not isinstance(dimensions, int):
            return "'dimensions' must be an integer"
        if not 64 <= dimensions <= FULL_DIMENSIONS:
            return f"'dimensions' must be between 64 and {FULL_DIMENSIONS}"
    if "embedding_type" in body and body["embedding_type"] not in EMBEDDING_TYPES:
        return f"'embedding_type' {body['embedding_type']!r} is not supported"
    for flag in ("normalized", "late_chunking", "truncate"):
        if flag in body and not isinstance(body[flag], bool):
            return f"'{flag}' must be a boolean"
    return None


def validate_item(item: Any) -> str | None:
    if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in ("text", "image"):
        return 'each input must be {"text": ...} or {"image": ...}'
    kind, value = next(iter(item.items()))
    if not isinstance(value, str) or not value:
        return f"'{kind}' must be a non-empty string"
    if kind == "image":
        try:
            data = base64.b64decode(value, validate=True)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except (binascii.Error, ValueError, OSError):
            return "image must be a URL or base64-encoded image bytes (this fake fetches no URL)"
    return None


# --- deterministic vectors -------------------------------------------------------------------


def text_seed(text: str, task: str | None) -> bytes:
    return b"text\0" + (task or "").encode() + b"\0" + text.encode("utf-8")


def image_seed(data: bytes) -> bytes:
    return b"image\0" + data


def vector_for(seed: bytes, dimensions: int, *, normalized: bool) -> np.ndarray:
    return seeded_vector(seed, dimensions, drawn=FULL_DIMENSIONS, normalized=normalized)


def image_tokens(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as image:
        return 4000 * math.ceil(image.width / 512) * math.ceil(image.height / 512)


def error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"detail": f"[RID: fake0000] {message}"})
