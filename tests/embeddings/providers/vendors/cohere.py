"""A minimal in-memory Cohere Embed API v2 (``POST /v2/embed``) for ``embed-v4.0``, strict
about the documented request shape and limits.

- Auth: ``Authorization: Bearer <key>``; a missing header or a key that starts with
  ``invalid`` gets 401 ``{"id": ..., "message": "invalid api token"}``.
- Anything unknown or missing in the body, a wrong type or value, more than 96 inputs (or
  texts), an image data URI over 5 MB or over 20 MB of images in one request gets 400 with
  Cohere's error body ``{"id": ..., "message": "..."}``. ``texts``, ``images`` and ``inputs``
  are all understood (one of them per request); ``embedding_types`` may be ``float`` and/or
  ``base64`` (float32 little-endian bytes) in this fake.
- Vectors are deterministic: each part's vector comes from a SHA-256 of the input type, the
  part's kind and its content (the text, or the image bytes as sent); an input's vector is
  the L2-normalised sum of its parts' vectors (`expected_input_vector`).
- ``meta.billed_units``: ``input_tokens`` = ceil(characters / 4) per text, ``images`` = the
  number of images, ``image_tokens`` = pixels // 784 per image (a made-up rate).
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import uuid
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

PATH = "/v2/embed"
MODELS = {"embed-v4.0": (1536, (256, 512, 1024, 1536))}
FIELDS = {
    "texts", "images", "model", "input_type", "inputs", "max_tokens", "output_dimension",
    "embedding_types", "truncate", "priority",
}  # fmt: skip
INPUT_TYPES = {"search_document", "search_query", "classification", "clustering", "image"}
EMBEDDING_TYPES = {"float", "int8", "uint8", "binary", "ubinary", "base64"}
FAKE_EMBEDDING_TYPES = {"float", "base64"}
MEDIA_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}
MAX_INPUTS = 96
MAX_IMAGE_URI_BYTES = 5_000_000
MAX_REQUEST_IMAGE_BYTES = 20_000_000
# Our InputType values -> Cohere's, so that `expected_vector` takes either.
OUR_INPUT_TYPES = {"query": "search_query", "document": "search_document"}


def error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"id": str(uuid.uuid4()), "message": message})


def fake_text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def vendor_input_type(input_type: str | None) -> str:
    return OUR_INPUT_TYPES.get(str(input_type), str(input_type))


def expected_vector(
    part: TextPart | ImagePart, *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """The vector the fake returns for an input of this one part. ``input_type`` is Cohere's
    ("search_query", "search_document", ...) or ours ("query", "document")."""
    return expected_input_vector([part], dimensions=dimensions, input_type=input_type)


def expected_input_vector(
    parts: Sequence[TextPart | ImagePart], *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """An interleaved input: the normalised sum of its parts' vectors."""
    return typed_input_vector(
        parts, dimensions=dimensions, input_type=vendor_input_type(input_type)
    )


def _decode_data_uri(value: Any, where: str) -> tuple[str, bytes]:
    if not isinstance(value, str) or not value.startswith("data:") or ";base64," not in value:
        raise BadRequest(f"invalid request: {where} must be a data URI data:<mime>;base64,...")
    if len(value) > MAX_IMAGE_URI_BYTES:
        raise BadRequest(f"invalid request: {where} is larger than 5MB")
    media_type, _, encoded = value[len("data:") :].partition(";base64,")
    if media_type not in MEDIA_TYPES:
        raise BadRequest(f"invalid request: {where} has unsupported format {media_type!r}")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"invalid request: {where} is not valid base64") from exc
    return media_type, data


def _image_info(data: bytes, where: str) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return {
                "width": image.width,
                "height": image.height,
                "format": (image.format or "").lower(),
                "bit_depth": 8,
            }
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadRequest(f"invalid request: {where} cannot be decoded") from exc


def _contents(body: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(where, content list) per input, whichever of texts / images / inputs was sent."""
    given = [name for name in ("texts", "images", "inputs") if name in body]
    if len(given) != 1:
        raise BadRequest("invalid request: exactly one of texts, images or inputs is required")
    name = given[0]
    values = body[name]
    if not isinstance(values, list) or not values:
        raise BadRequest(f"invalid request: {name} must be a non-empty list")
    if len(values) > MAX_INPUTS:
        raise BadRequest(f"invalid request: {name} must contain at most {MAX_INPUTS} items")
    if name == "texts":
        return [(f"texts[{i}]", [{"type": "text", "text": text}]) for i, text in enumerate(values)]
    if name == "images":
        return [
            (f"images[{i}]", [{"type": "image_url", "image_url": {"url": url}}])
            for i, url in enumerate(values)
        ]
    contents = []
    for index, item in enumerate(values):
        if not isinstance(item, dict) or set(item) != {"content"}:
            raise BadRequest(f"invalid request: inputs[{index}] must be {{content: [...]}}")
        if not isinstance(item["content"], list) or not item["content"]:
            raise BadRequest(f"invalid request: inputs[{index}].content must be a non-empty list")
        contents.append((f"inputs[{index}]", item["content"]))
    return contents


def _embed(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("invalid request: the body must be a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        raise BadRequest(f"invalid request: unknown field(s) {', '.join(sorted(unknown))}")
    for required in ("model", "input_type"):
        if required not in body:
            raise BadRequest(f"invalid request: {required} is required")
    model = body["model"]
    if model not in MODELS:
        raise BadRequest(f"model '{model}' not found, make sure the model exists")
    input_type = body["input_type"]
    if input_type not in INPUT_TYPES:
        raise BadRequest(f"invalid request: input_type must be one of {sorted(INPUT_TYPES)}")
    default_dimensions, choices = MODELS[model]
    dimensions = body.get("output_dimension", default_dimensions)
    if isinstance(dimensions, bool) or dimensions not in choices:
        raise BadRequest(f"invalid request: output_dimension must be one of {list(choices)}")
    types = body.get("embedding_types", ["float"])
    if not isinstance(types, list) or not types or not set(types) <= EMBEDDING_TYPES:
        raise BadRequest(f"invalid request: embedding_types must be a list of {EMBEDDING_TYPES}")
    if not set(types) <= FAKE_EMBEDDING_TYPES:
        raise BadRequest("this fake only returns float and base64 embeddings")
    if body.get("truncate", "END") not in ("NONE", "START", "END"):
        raise BadRequest("invalid request: truncate must be one of NONE, START, END")
    for number in ("max_tokens", "priority"):
        if number in body and (isinstance(body[number], bool) or not isinstance(body[number], int)):
            raise BadRequest(f"invalid request: {number} must be an integer")
    vectors: list[Any] = []
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    input_tokens = image_tokens = request_image_bytes = 0
    for where, content in _contents(body):
        part_vectors: list[Any] = []
        for position, piece in enumerate(content):
            at = f"{where}.content[{position}]"
            kind = piece.get("type") if isinstance(piece, dict) else None
            if kind == "text" and set(piece) == {"type", "text"} and isinstance(piece["text"], str):
                texts.append(piece["text"])
                input_tokens += fake_text_tokens(piece["text"])
                part_vectors.append(
                    typed_part_vector("text", piece["text"].encode(), dimensions, input_type)
                )
            elif (
                kind == "image_url"
                and set(piece) == {"type", "image_url"}
                and isinstance(piece["image_url"], dict)
                and set(piece["image_url"]) == {"url"}
            ):
                url = piece["image_url"]["url"]
                _, data = _decode_data_uri(url, at)
                request_image_bytes += len(url)
                info = _image_info(data, at)
                images.append(info)
                image_tokens += info["width"] * info["height"] // 784
                part_vectors.append(typed_part_vector("image", data, dimensions, input_type))
            else:
                raise BadRequest(
                    f"invalid request: {at} must be {{type: text, text}} or "
                    "{type: image_url, image_url: {url}}"
                )
        vectors.append(summed_vector(part_vectors))
    if request_image_bytes > MAX_REQUEST_IMAGE_BYTES:
        raise BadRequest("invalid request: the combined size of all images exceeds 20MB")
    embeddings: dict[str, Any] = {}
    if "float" in types:
        embeddings["float"] = [[float(x) for x in vector] for vector in vectors]
    if "base64" in types:
        embeddings["base64"] = [
            base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii") for vector in vectors
        ]
    billed: dict[str, Any] = {"input_tokens": input_tokens}
    if images:
        billed.update(images=len(images), image_tokens=image_tokens)
    answer: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "embeddings": embeddings,
        "texts": texts,
        "meta": {"api_version": {"version": "2"}, "billed_units": billed},
    }
    if images:
        answer["images"] = images
    return answer


WORDING = Wording(
    not_found="{path} not found",
    not_allowed="method not allowed",
    bad_key="invalid api token",
    bad_json="invalid request: the body is not valid JSON",
)


def handler(request: httpx.Request) -> httpx.Response:
    """A minimal in-memory Cohere."""
    return json_endpoint(request, path=PATH, wording=WORDING, error=error, embed=_embed)


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)
