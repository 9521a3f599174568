"""OpenAI-compatible ``POST /embeddings/v1/embeddings`` and ``GET /embeddings/v1/models``.

Request and answer as OpenAI documents them (platform.openai.com/docs/api-reference/
embeddings/create): ``input`` (a string or 1-2048 non-empty strings), ``model`` (here a
provider alias), ``encoding_format`` ("float" | "base64"), ``dimensions``, ``user``; errors
``{"error": {"message", "type", "param", "code"}}`` with OpenAI's status codes. Limits:
8192 tokens per input and 300,000 per request, counted before the model sees the text (the
model itself truncates to its own context). Images, for models that embed them, are strings
in ``input`` as self-hosted OpenAI-style servers take them: a ``data:image/...;base64,`` URL
or raw base64 of the image bytes; every other string is a text. Token arrays are refused
(this gateway's tokenizers are the models' own, not OpenAI's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from embeddings.providers.base import EmbeddingInput, InputType, TextPart
from gateway.api.base import GatewayApi, body_object, encoded, invalid
from gateway.api.schema import (
    OPENAI_ERRORS,
    OpenAIEmbeddingsRequest,
    OpenAIEmbeddingsResponse,
    OpenAIModelList,
)
from gateway.embedding import estimate_tokens, gateway_embed, image_bytes_from_base64, image_part
from gateway.errors import GatewayError, Kind
from gateway.selectors import ServedModel, served_model, served_models

MAX_INPUTS = 2048
MAX_INPUT_TOKENS = 8192
MAX_REQUEST_TOKENS = 300_000
FIELDS = {"input", "model", "encoding_format", "dimensions", "user"}
ENCODINGS = ("float", "base64")


class OpenAIApi(GatewayApi):
    def error_body(self, error: GatewayError) -> dict[str, Any]:
        return error.openai_body()


class EmbeddingsApi(OpenAIApi):
    @extend_schema(
        operation_id="gateway_openai_embeddings",
        summary="Embed texts (or images) - OpenAI-compatible",
        tags=["embedding gateway"],
        request=OpenAIEmbeddingsRequest,
        responses={200: OpenAIEmbeddingsResponse, **OPENAI_ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = body_object(request, known=FIELDS, required=("model", "input"))
        model = openai_model(body["model"])
        encoding = body.get("encoding_format") or "float"
        if encoding not in ENCODINGS:
            raise invalid("encoding_format", f"{encoding!r}; use 'float' or 'base64'.")
        if body.get("user") is not None and not isinstance(body["user"], str):
            raise invalid("user", "must be a string.")
        dimensions = requested_dimensions(model, body.get("dimensions"))
        inputs = openai_inputs(model, body["input"])
        result = gateway_embed(
            key=self.key, model=model, inputs=inputs, input_type=InputType.DOCUMENT,
            dimensions=dimensions,
        )  # fmt: skip
        tokens = result.usage.text_tokens + result.image_tokens
        return Response(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": index, "embedding": encoded(vector, encoding)}
                    for index, vector in enumerate(result.vectors)
                ],
                "model": model.alias,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )


class ModelsApi(OpenAIApi):
    @extend_schema(
        operation_id="gateway_models",
        summary="The models served: alias, dimensions, modalities",
        tags=["embedding gateway"],
        responses={200: OpenAIModelList, **OPENAI_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "object": "list",
                "data": [
                    {
                        "id": model.alias,
                        "object": "model",
                        "created": 0,
                        "owned_by": "searchapp",
                        "dimensions": model.dimensions,
                        "modalities": model.modalities,
                        "shortening": model.shortening,
                    }
                    for model in served_models()
                ],
            }
        )


def openai_model(alias: Any) -> ServedModel:
    model = served_model(alias=alias) if isinstance(alias, str) else None
    if model is None:
        raise GatewayError(
            Kind.MODEL_NOT_FOUND,
            f"The model `{alias}` does not exist or you do not have access to it.",
            param="model",
        )
    return model


def requested_dimensions(model: ServedModel, value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid("dimensions", f"{value!r}; it must be a whole number of at least 1.")
    if value == model.dimensions:
        return None
    if not model.shortening:
        raise GatewayError(
            Kind.INVALID,
            f"This model does not support specifying dimensions: {model.alias} returns "
            f"{model.dimensions} dimensions only.",
            param="dimensions",
        )
    if value > model.dimensions:
        raise invalid("dimensions", f"{value}; {model.alias} returns at most {model.dimensions}.")
    return int(value)


def openai_inputs(model: ServedModel, value: Any) -> list[EmbeddingInput]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise invalid("input", "send a string or a non-empty array of strings.")
    if len(values) > MAX_INPUTS:
        raise invalid("input", f"{len(values)} inputs; send at most {MAX_INPUTS} per request.")
    inputs: list[EmbeddingInput] = []
    total = 0
    for index, text in enumerate(values):
        if isinstance(text, int | list):
            raise invalid("input", "token arrays are not supported here; send strings.")
        if not isinstance(text, str) or not text:
            raise invalid("input", f"input[{index}] must be a non-empty string.")
        if model.image:
            if text.startswith("data:"):
                inputs.append((image_part(data_url=text, where=f"input[{index}]"),))
                continue
            data = image_bytes_from_base64(text)
            if data is not None:
                inputs.append((image_part(data=data, where=f"input[{index}]"),))
                continue
        tokens = estimate_tokens(text)
        if tokens > MAX_INPUT_TOKENS:
            raise GatewayError(
                Kind.INVALID,
                f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however "
                f"you requested {tokens} tokens (input[{index}]). Please reduce your prompt.",
                param="input",
            )
        total += tokens
        inputs.append((TextPart(text),))
    if total > MAX_REQUEST_TOKENS:
        raise GatewayError(
            Kind.INVALID,
            f"Requested {total} tokens, max {MAX_REQUEST_TOKENS} tokens per request.",
            param="input",
        )
    return inputs
