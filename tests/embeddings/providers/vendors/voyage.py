"""A minimal in-memory Voyage AI multimodal embeddings API (``POST /v1/multimodalembeddings``),
strict about the documented request shape and limits.

- Auth: ``Authorization: Bearer <key>``; a missing header or a key that starts with
  ``invalid`` gets 401.
- Anything unknown or missing in the body, a wrong type, a limit exceeded (1,000 inputs,
  16 million pixels or 20 MB per image, 32,000 tokens per input without truncation,
  320,000 tokens per request) or a mix of ``image_url`` and ``image_base64`` gets 400 with
  Voyage's error body ``{"detail": "..."}``. ``image_url`` itself is refused (the fake
  cannot fetch).
- Vectors are deterministic: each part's vector comes from a SHA-256 of the input type, the
  part's kind and its content (the text, or the image bytes as sent); an input's vector is
  the L2-normalised sum of its parts' vectors (`expected_input_vector`).
- Usage: ``text_tokens`` = ceil(characters / 4) per text, ``image_pixels`` = the images'
  pixels, ``total_tokens`` = text tokens + pixels // 560 per image.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from embeddings.providers.base import ImagePart, TextPart
from tests.embeddings.providers.vendors.endpoint import BadRequest, Wording, json_endpoint
from tests.embeddings.providers.vendors.vectors import (
    summed_vector,
    typed_input_vector,
    typed_part_vector,
)

PATH = "/v1/multimodalembeddings"
MODELS = {
    "voyage-multimodal-3.5": (1024, (256, 512, 1024, 2048)),
    "voyage-multimodal-3": (1024, (1024,)),
}
FIELDS = {"inputs", "model", "input_type", "truncation", "output_encoding", "output_dimension"}
MEDIA_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}
MAX_INPUTS = 1000
MAX_PIXELS = 16_000_000
MAX_IMAGE_BYTES = 20_000_000
PIXELS_PER_TOKEN = 560
MAX_INPUT_TOKENS = 32_000
MAX_REQUEST_TOKENS = 320_000


def error(status: int, detail: str) -> httpx.Response:
    return httpx.Response(status, json={"detail": detail})


def fake_text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def expected_vector(
    part: TextPart | ImagePart, *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """The vector the fake returns for an input of this one part. ``input_type`` is Voyage's
    ("query", "document" or None; our InputType values are the same strings)."""
    return expected_input_vector([part], dimensions=dimensions, input_type=input_type)


def expected_input_vector(
    parts: Sequence[TextPart | ImagePart], *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """An interleaved input: the normalised sum of its parts' vectors."""
    vendor_type = None if input_type is None else str(input_type)
    return typed_input_vector(parts, dimensions=dimensions, input_type=vendor_type)


def _decode_data_url(value: Any, where: str) -> tuple[str, bytes]:
    if not isinstance(value, str) or not value.startswith("data:") or ";base64," not in value:
        raise BadRequest(f"{where}: image_base64 must be a data URL data:<mediatype>;base64,...")
    media_type, _, encoded = value[len("data:") :].partition(";base64,")
    if media_type not in MEDIA_TYPES:
        raise BadRequest(f"{where}: unsupported image media type {media_type!r}")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"{where}: invalid base64 image") from exc
    return media_type, data


def _image_pixels(data: bytes, where: str) -> int:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width * image.height)
    except Image.DecompressionBombError as exc:
        raise BadRequest(f"{where}: the image has more than 16 million pixels") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise BadRequest(f"{where}: the image cannot be decoded") from exc


def _embed(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    for required in ("inputs", "model"):
        if required not in body:
            raise BadRequest(f"field required: {required}")
    model = body["model"]
    if model not in MODELS:
        raise BadRequest(f"Model {model!r} is not supported.")
    default_dimensions, choices = MODELS[model]
    input_type = body.get("input_type")
    if input_type not in (None, "query", "document"):
        raise BadRequest("input_type must be one of None, 'query', 'document'")
    truncation = body.get("truncation", True)
    if not isinstance(truncation, bool):
        raise BadRequest("truncation must be a boolean")
    encoding = body.get("output_encoding")
    if encoding not in (None, "base64"):
        raise BadRequest("output_encoding must be None or 'base64'")
    dimensions = body.get("output_dimension")
    if dimensions is None:
        dimensions = default_dimensions
    elif len(choices) == 1 or dimensions not in choices or isinstance(dimensions, bool):
        raise BadRequest(f"output_dimension {dimensions!r} is not supported by {model}")
    inputs = body["inputs"]
    if not isinstance(inputs, list) or not inputs:
        raise BadRequest("inputs must be a non-empty list")
    if len(inputs) > MAX_INPUTS:
        raise BadRequest(f"The batch size {len(inputs)} exceeds the limit of {MAX_INPUTS}.")
    image_kinds = {
        piece.get("type")
        for item in inputs
        if isinstance(item, dict) and isinstance(item.get("content"), list)
        for piece in item["content"]
        if isinstance(piece, dict) and piece.get("type") in ("image_url", "image_base64")
    }
    if len(image_kinds) > 1:
        raise BadRequest("a request uses either image_url or image_base64, not both")
    vectors: list[Any] = []
    text_tokens = image_pixels = total_tokens = 0
    for index, item in enumerate(inputs):
        where = f"inputs[{index}]"
        if not isinstance(item, dict) or set(item) != {"content"}:
            raise BadRequest(f"{where} must be an object with the single key 'content'")
        content = item["content"]
        if not isinstance(content, list) or not content:
            raise BadRequest(f"{where}.content must be a non-empty list")
        input_tokens = 0
        part_vectors: list[Any] = []
        for position, piece in enumerate(content):
            at = f"{where}.content[{position}]"
            kind = piece.get("type") if isinstance(piece, dict) else None
            if kind not in ("text", "image_url", "image_base64") or set(piece) != {"type", kind}:
                raise BadRequest(f"{at} must be {{type: text|image_url|image_base64, <type>: ...}}")
            if kind == "image_url":
                raise BadRequest(f"{at}: this fake cannot fetch image URLs")
            if kind == "text":
                if not isinstance(piece["text"], str):
                    raise BadRequest(f"{at}.text must be a string")
                tokens = fake_text_tokens(piece["text"])
                text_tokens += tokens
                input_tokens += tokens
                part_vectors.append(
                    typed_part_vector("text", piece["text"].encode(), dimensions, input_type)
                )
                continue
            _, data = _decode_data_url(piece["image_base64"], at)
            if len(data) > MAX_IMAGE_BYTES:
                raise BadRequest(f"{at}: the image is larger than 20 MB")
            pixels = _image_pixels(data, at)
            if pixels > MAX_PIXELS:
                raise BadRequest(f"{at}: the image has more than 16 million pixels")
            image_pixels += pixels
            input_tokens += pixels // PIXELS_PER_TOKEN
            part_vectors.append(typed_part_vector("image", data, dimensions, input_type))
        if input_tokens > MAX_INPUT_TOKENS and not truncation:
            raise BadRequest(f"{where} exceeds the context length of {MAX_INPUT_TOKENS} tokens")
        total_tokens += min(input_tokens, MAX_INPUT_TOKENS)
        vectors.append(summed_vector(part_vectors))
    if total_tokens > MAX_REQUEST_TOKENS:
        raise BadRequest(
            f"Request to model '{model}' failed. The max allowed tokens per submitted batch "
            f"is {MAX_REQUEST_TOKENS}. Your batch has {total_tokens} tokens."
        )
    data_rows = [
        {
            "object": "embedding",
            "embedding": (
                base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
                if encoding == "base64"
                else [float(x) for x in vector]
            ),
            "index": index,
        }
        for index, vector in enumerate(vectors)
    ]
    return {
        "object": "list",
        "data": data_rows,
        "model": model,
        "usage": {
            "text_tokens": text_tokens,
            "image_pixels": image_pixels,
            "total_tokens": total_tokens,
        },
    }


WORDING = Wording(
    not_found="Not Found",
    not_allowed="Method Not Allowed",
    bad_key="Provided API key is invalid.",
    bad_json="The request body is not valid JSON.",
)


def handler(request: httpx.Request) -> httpx.Response:
    """A minimal in-memory Voyage AI."""
    return json_endpoint(request, path=PATH, wording=WORDING, error=error, embed=_embed)


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)
