"""Voyage-compatible ``POST /embeddings/v1/multimodalembeddings``.

As Voyage documents it (docs.voyageai.com/reference/multimodal-embeddings-api): ``inputs``
(1-1000 objects ``{"content": [...]}`` of ``{"type": "text", "text"}``, ``{"type":
"image_url", "image_url"}`` or ``{"type": "image_base64", "image_base64": "data:image/...;
base64,..."}``; one request uses image URLs or base64 images, not both), ``model`` (here a
provider alias), ``input_type`` ("query" | "document" | null), ``truncation`` (default true),
``output_encoding`` (null | "base64"), ``output_dimension``. Limits: an image at most 16
million pixels and 20 MB; every 560 pixels count as a token; 32,000 tokens per input (an
error with ``truncation: false``) and 320,000 per request. Answer ``usage``: ``text_tokens``,
``image_pixels``, ``total_tokens``; errors ``{"detail": "..."}``. Image URLs are fetched
through the guarded URL fetcher (public addresses only, size and time capped)."""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from embeddings.providers.base import EmbeddingInput, ImagePart, InputType, Part, TextPart
from gateway.api.base import GatewayApi, body_object, encoded, invalid
from gateway.api.schema import VOYAGE_ERRORS, VoyageEmbeddingsRequest, VoyageEmbeddingsResponse
from gateway.embedding import PIXELS_PER_TOKEN, estimate_tokens, gateway_embed, image_part
from gateway.errors import GatewayError, Kind
from gateway.selectors import ServedModel, served_model, served_models

MAX_INPUTS = 1000
MAX_PIXELS = 16_000_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_INPUT_TOKENS = 32_000
MAX_REQUEST_TOKENS = 320_000
FIELDS = {"inputs", "model", "input_type", "truncation", "output_encoding", "output_dimension"}
INPUT_TYPES = {None: InputType.DOCUMENT, "query": InputType.QUERY, "document": InputType.DOCUMENT}


class MultimodalEmbeddingsApi(GatewayApi):
    def error_body(self, error: GatewayError) -> dict[str, Any]:
        return error.voyage_body()

    @extend_schema(
        operation_id="gateway_voyage_multimodalembeddings",
        summary="Embed texts, images or both interleaved - Voyage-compatible",
        tags=["embedding gateway"],
        request=VoyageEmbeddingsRequest,
        responses={200: VoyageEmbeddingsResponse, **VOYAGE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = body_object(request, known=FIELDS, required=("inputs", "model"))
        model = voyage_model(body["model"])
        input_type = body.get("input_type")
        if input_type not in INPUT_TYPES:
            raise invalid("input_type", f"{input_type!r}; use 'query', 'document' or null.")
        truncation = body.get("truncation", True)
        if not isinstance(truncation, bool):
            raise invalid("truncation", "must be true or false.")
        encoding = body.get("output_encoding")
        if encoding not in (None, "base64"):
            raise invalid("output_encoding", f"{encoding!r}; use null or 'base64'.")
        dimensions = output_dimension(model, body.get("output_dimension"))
        inputs = voyage_inputs(body["inputs"], truncation=truncation)
        result = gateway_embed(
            key=self.key, model=model, inputs=inputs, input_type=INPUT_TYPES[input_type],
            dimensions=dimensions,
        )  # fmt: skip
        usage = result.usage
        return Response(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "embedding": encoded(vector, encoding), "index": index}
                    for index, vector in enumerate(result.vectors)
                ],
                "model": model.alias,
                "usage": {
                    "text_tokens": usage.text_tokens,
                    "image_pixels": usage.image_pixels,
                    "total_tokens": usage.text_tokens + result.image_tokens,
                },
            }
        )


def voyage_model(alias: Any) -> ServedModel:
    model = served_model(alias=alias) if isinstance(alias, str) else None
    if model is None:
        served = ", ".join(model.alias for model in served_models()) or "none"
        raise GatewayError(
            Kind.INVALID, f"Model {alias!r} is not supported. Supported models: {served}.",
            param="model",
        )  # fmt: skip
    return model


def output_dimension(model: ServedModel, value: Any) -> int | None:
    if value is None or value == model.dimensions:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid("output_dimension", f"{value!r}; it must be a whole number or null.")
    if not model.shortening or value > model.dimensions:
        raise invalid(
            "output_dimension",
            f"{value} is not supported by {model.alias} (it returns {model.dimensions}"
            + (" or fewer" if model.shortening else "") + ").",
        )  # fmt: skip
    return int(value)


def voyage_inputs(value: Any, *, truncation: bool) -> list[EmbeddingInput]:
    if not isinstance(value, list) or not value:
        raise invalid("inputs", 'send a non-empty list of {"content": [...]} objects.')
    if len(value) > MAX_INPUTS:
        raise GatewayError(
            Kind.INVALID, f"The batch size {len(value)} exceeds the limit of {MAX_INPUTS}.",
            param="inputs",
        )  # fmt: skip
    kinds = {
        piece.get("type")
        for item in value if isinstance(item, dict) and isinstance(item.get("content"), list)
        for piece in item["content"] if isinstance(piece, dict)
    }  # fmt: skip
    if {"image_url", "image_base64"} <= kinds:
        raise invalid("inputs", "one request uses either image_url or image_base64, not both.")
    inputs: list[EmbeddingInput] = []
    total = 0
    for index, item in enumerate(value):
        where = f"inputs[{index}]"
        if not isinstance(item, dict) or set(item) != {"content"}:
            raise invalid(where, "must be an object with the single key 'content'.")
        content = item["content"]
        if not isinstance(content, list) or not content:
            raise invalid(f"{where}.content", "must be a non-empty list.")
        parts = [content_part(piece, f"{where}.content[{position}]")
                 for position, piece in enumerate(content)]  # fmt: skip
        tokens = sum(part_tokens(part) for part in parts)
        if tokens > MAX_INPUT_TOKENS and not truncation:
            raise GatewayError(
                Kind.INVALID, f"{where} has {tokens} tokens, over the context length of "
                f"{MAX_INPUT_TOKENS} tokens; shorten it or send truncation: true.", param=where,
            )  # fmt: skip
        total += min(tokens, MAX_INPUT_TOKENS)
        inputs.append(tuple(parts))
    if total > MAX_REQUEST_TOKENS:
        raise GatewayError(
            Kind.INVALID, f"The max allowed tokens per submitted batch is {MAX_REQUEST_TOKENS}. "
            f"Your batch has {total} tokens.", param="inputs",
        )  # fmt: skip
    return inputs


def content_part(piece: Any, where: str) -> Part:
    kind = piece.get("type") if isinstance(piece, dict) else None
    if kind not in ("text", "image_url", "image_base64") or set(piece) != {"type", kind}:
        raise invalid(where, "must be {\"type\": \"text\" | \"image_url\" | \"image_base64\", "
                      "<type>: ...}.")  # fmt: skip
    value = piece[kind]
    if not isinstance(value, str):
        raise invalid(f"{where}.{kind}", "must be a string.")
    if kind == "text":
        return TextPart(value)
    if kind == "image_base64" and len(value) > MAX_IMAGE_BYTES * 4 // 3 + 64:
        raise invalid(where, "the image is larger than 20 MB.")
    if kind == "image_base64":
        image = image_part(data_url=value, where=where)
    else:
        image = image_part(url=value, where=where)
    if len(image.data) > MAX_IMAGE_BYTES:
        raise invalid(where, "the image is larger than 20 MB.")
    if image.pixels() > MAX_PIXELS:
        raise invalid(where, "the image has more than 16 million pixels.")
    return image


def part_tokens(part: Part) -> int:
    if isinstance(part, ImagePart):
        return math.ceil(part.pixels() / PIXELS_PER_TOKEN)
    return estimate_tokens(part.text)
