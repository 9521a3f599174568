"""A minimal in-memory Nomic Atlas embedding API: ``POST /v1/embedding/text`` (JSON) and
``POST /v1/embedding/image`` (multipart/form-data), as the docs cited in
`embeddings.providers.nomic` describe them.

It checks ``Authorization: Bearer <key>`` (keys starting with "test-key" are valid) and
answers bodies that are not the documented shape with FastAPI's 422 ``{"detail": [{"loc",
"msg", "type"}]}`` — stricter than the real service in one way: unknown fields are
refused here, where FastAPI may ignore them. Vectors are deterministic: SHA-256 over a tag
and the content seeds numpy's ``default_rng``; its standard-normal draw of 768 dimensions is
cut to ``dimensionality`` (Matryoshka, text only) and L2-normalised.

- text: ``b"text\\0" + task_type + b"\\0" + utf-8 text``;
- image: ``b"image\\0" + the file part's bytes`` exactly as sent (no task type; always 768).

Usage is ``{"prompt_tokens", "total_tokens"}`` on both endpoints: ``len(text) // 4 + 1``
tokens per text, and, for images (whose usage fields Nomic does not document), one per
image.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import numpy as np
from PIL import Image

from embeddings.providers.base import ImagePart, TextPart
from embeddings.providers.http import fit_image
from embeddings.providers.nomic import NomicProvider
from tests.embeddings.providers.vendors.vectors import seeded_vector

VALID_KEY_PREFIX = "test-key"
FULL_DIMENSIONS = 768
TEXT_MODELS = {"nomic-embed-text-v1", "nomic-embed-text-v1.5"}
VISION_MODELS = {"nomic-embed-vision-v1", "nomic-embed-vision-v1.5"}
TEXT_FIELDS = {
    "texts",
    "model",
    "task_type",
    "long_text_mode",
    "max_tokens_per_text",
    "dimensionality",
}
TASK_TYPES = {"search_query", "search_document", "classification", "clustering"}
TASK_FOR_INPUT_TYPE = {"query": "search_query", "document": "search_document"}
LONG_TEXT_MODES = {"truncate", "mean"}
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}


def handler(request: httpx.Request) -> httpx.Response:
    request.read()  # a multipart body built outside a client is still a stream
    if request.url.path not in ("/v1/embedding/text", "/v1/embedding/image"):
        return httpx.Response(404, json={"detail": "Not Found"})
    if request.method != "POST":
        return httpx.Response(405, json={"detail": "Method Not Allowed"})
    authorization = request.headers.get("authorization", "")
    if not authorization.startswith("Bearer "):
        return httpx.Response(401, json={"detail": "Not authenticated"})
    if not authorization.removeprefix("Bearer ").startswith(VALID_KEY_PREFIX):
        return httpx.Response(401, json={"detail": "Invalid API key"})
    if request.url.path == "/v1/embedding/text":
        return embed_text(request)
    return embed_image(request)


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def expected_vector(
    part: TextPart | ImagePart, *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """The vector this fake answers for `part` as NomicProvider sends it (images re-encoded
    first when over the provider's limits)."""
    if isinstance(part, TextPart):
        task = TASK_FOR_INPUT_TYPE[str(input_type)] if input_type else "search_document"
        return vector_for(text_seed(part.text, task), dimensions)
    if dimensions != FULL_DIMENSIONS:
        raise ValueError(f"Nomic image vectors are always {FULL_DIMENSIONS}-dimensional")
    sent = fit_image(part, NomicProvider.image_limits)
    return vector_for(image_seed(sent.data), FULL_DIMENSIONS)


# --- /v1/embedding/text ----------------------------------------------------------------------


def embed_text(request: httpx.Request) -> httpx.Response:
    try:
        body = json.loads(request.content)
    except ValueError:
        return invalid([], "Expecting value: the body is not JSON", "json_invalid")
    if not isinstance(body, dict):
        return invalid([], "Input should be a valid dictionary", "dict_type")
    extra = sorted(set(body) - TEXT_FIELDS)
    if extra:
        return invalid([extra[0]], "Extra inputs are not permitted", "extra_forbidden")
    texts = body.get("texts")
    if texts is None:
        return invalid(["texts"], "Field required", "missing")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return invalid(["texts"], "Input should be a valid list of strings", "list_type")
    model = body.get("model", "nomic-embed-text-v1")
    if model not in TEXT_MODELS:
        return invalid(["model"], f"Input should be {' or '.join(sorted(TEXT_MODELS))}", "enum")
    task_type = body.get("task_type", "search_document")
    if task_type not in TASK_TYPES:
        return invalid(["task_type"], f"Input should be one of {sorted(TASK_TYPES)}", "enum")
    if body.get("long_text_mode", "truncate") not in LONG_TEXT_MODES:
        return invalid(["long_text_mode"], "Input should be 'truncate' or 'mean'", "enum")
    dimensionality = body.get("dimensionality")
    if dimensionality is not None and (
        isinstance(dimensionality, bool)
        or not isinstance(dimensionality, int)
        or not 1 <= dimensionality <= FULL_DIMENSIONS
    ):
        return invalid(
            ["dimensionality"], f"Input should be an integer from 1 to {FULL_DIMENSIONS}", "int"
        )
    # dimensionality "only applies to nomic-embed-text-v1.5"
    dimensions = dimensionality if model == "nomic-embed-text-v1.5" and dimensionality else 768
    tokens = sum(len(text) // 4 + 1 for text in texts)
    return httpx.Response(
        200,
        json={
            "embeddings": [
                vector_for(text_seed(text, task_type), dimensions).tolist() for text in texts
            ],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            "model": model,
        },
    )


# --- /v1/embedding/image ---------------------------------------------------------------------


def embed_image(request: httpx.Request) -> httpx.Response:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        return invalid(["images"], "Expected multipart/form-data", "value_error")
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip('"')
    fields, files = parse_multipart(request.content, boundary)
    extra = sorted((set(fields) | {name for name, _ in files}) - {"model", "images", "urls"})
    if extra:
        return invalid([extra[0]], "Extra inputs are not permitted", "extra_forbidden")
    if "urls" in fields:
        return invalid(["urls"], "this fake does not fetch URLs", "value_error")
    model = fields.get("model")
    if model is None:
        return invalid(["model"], "Field required", "missing")
    if model not in VISION_MODELS:
        return invalid(["model"], f"Input should be {' or '.join(sorted(VISION_MODELS))}", "enum")
    images = [data for name, data in files if name == "images"]
    if not images:
        return invalid(["images"], "Field required", "missing")
    for index, data in enumerate(images):
        try:
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format
        except OSError:
            fmt = None
        if fmt not in IMAGE_FORMATS:
            return invalid(["images", index], "images must be .png, .jpeg or .webp", "value_error")
    return httpx.Response(
        200,
        json={
            "embeddings": [
                vector_for(image_seed(data), FULL_DIMENSIONS).tolist() for data in images
            ],
            "usage": {"prompt_tokens": len(images), "total_tokens": len(images)},
            "model": model,
        },
    )


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """Form fields (name -> value) and file parts ([(name, bytes)]) of a form-data body."""
    fields: dict[str, str] = {}
    files: list[tuple[str, bytes]] = []
    delimiter = b"--" + boundary.encode()
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        disposition = next(
            (
                line.decode()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-disposition")
            ),
            "",
        )
        params = dict(
            part.strip().split("=", 1) for part in disposition.split(";")[1:] if "=" in part
        )
        name = params.get("name", "").strip('"')
        if "filename" in params:
            files.append((name, content))
        else:
            fields[name] = content.decode()
    return fields, files


# --- deterministic vectors and errors ----------------------------------------------------------


def text_seed(text: str, task_type: str) -> bytes:
    return b"text\0" + task_type.encode() + b"\0" + text.encode("utf-8")


def image_seed(data: bytes) -> bytes:
    return b"image\0" + data


def vector_for(seed: bytes, dimensions: int) -> np.ndarray:
    return seeded_vector(seed, dimensions, drawn=FULL_DIMENSIONS)


def invalid(location: list[Any], message: str, kind: str) -> httpx.Response:
    return httpx.Response(
        422, json={"detail": [{"loc": ["body", *location], "msg": message, "type": kind}]}
    )
