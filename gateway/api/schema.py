"""The gateway's OpenAPI schema: its own document at /embeddings/v1/schema/ (Swagger UI at
/embeddings/v1/docs/), kept out of /api/v1/schema/. The endpoints speak OpenAI's and
Voyage's wire formats, with those vendors' error shapes and keys, not the API's envelope and
tokens; clients generated from one schema should not mix the two."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers

PREFIX = "/embeddings/v1/"


def gateway_only(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PREFIX)]


def outside_gateway(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(PREFIX)]


class GatewaySchemaApi(SpectacularAPIView):
    custom_settings = {
        "TITLE": "searchapp embedding gateway",
        "DESCRIPTION": (
            "The local models, served to other applications with OpenAI's and Voyage's "
            "embedding APIs. Authorization: Bearer <gateway key> (created in the admin)."
        ),
        "PREPROCESSING_HOOKS": ["gateway.api.schema.gateway_only"],
    }


def _errors(body: Any, descriptions: dict[int, str]) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(body, description=text) for code, text in descriptions.items()}


ERROR_DESCRIPTIONS = {
    400: "Invalid request: a field's type or value, a limit (inputs, tokens, pixels, bytes).",
    401: "No API key, or one that is wrong or revoked.",
    404: "Unknown model (OpenAI), or the gateway is switched off.",
    413: "The body is over the server's size limit.",
    415: "The body is not JSON.",
    429: "Over the key's rate limit or daily quota; retry after Retry-After seconds.",
    503: "The model or the database is unavailable; retry after Retry-After seconds.",
}
OPENAI_ERROR = inline_serializer(
    "OpenAIError",
    {
        "error": inline_serializer(
            "OpenAIErrorDetail",
            {
                "message": serializers.CharField(),
                "type": serializers.CharField(),
                "param": serializers.CharField(allow_null=True),
                "code": serializers.CharField(allow_null=True),
            },
        )
    },
)
VOYAGE_ERROR = inline_serializer("VoyageError", {"detail": serializers.CharField()})
OPENAI_ERRORS = _errors(OPENAI_ERROR, ERROR_DESCRIPTIONS)
VOYAGE_ERRORS = _errors(VOYAGE_ERROR, {c: t for c, t in ERROR_DESCRIPTIONS.items() if c != 404}
                        | {404: "The gateway is switched off."})  # fmt: skip


@extend_schema_field(
    {"oneOf": [{"type": "array", "items": {"type": "number"}},
               {"type": "string", "description": "base64 of little-endian float32"}]}
)  # fmt: skip
class VectorField(serializers.Field):
    """A vector: JSON numbers, or base64 with the base64 encoding."""


@extend_schema_field(
    {"oneOf": [{"type": "string"},
               {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2048}],
     "description": "Texts; for image models also data:image/...;base64 URLs or raw base64."}
)  # fmt: skip
class OpenAIInputField(serializers.Field):
    """A string or an array of strings."""


class OpenAIEmbeddingsRequest(serializers.Serializer[Any]):
    input = OpenAIInputField()
    model = serializers.CharField(help_text="A served model (GET models).")
    encoding_format = serializers.ChoiceField(["float", "base64"], required=False)
    dimensions = serializers.IntegerField(min_value=1, required=False)
    user = serializers.CharField(required=False)


def _response(name: str, row: dict[str, Any], usage: list[str]) -> Any:
    """A list answer: {"object": "list", "data": [rows], "model", "usage": {...}}."""
    return inline_serializer(
        name,
        {
            "object": serializers.CharField(),
            "data": inline_serializer(f"{name}Row", row, many=True),
            "model": serializers.CharField(),
            "usage": inline_serializer(
                f"{name}Usage", {field: serializers.IntegerField() for field in usage}
            ),
        },
    )


EMBEDDING_ROW = {
    "object": serializers.CharField(),
    "index": serializers.IntegerField(),
    "embedding": VectorField(),
}
OpenAIEmbeddingsResponse = _response(
    "OpenAIEmbeddings", EMBEDDING_ROW, ["prompt_tokens", "total_tokens"]
)
VoyageEmbeddingsResponse = _response(
    "VoyageEmbeddings", EMBEDDING_ROW, ["text_tokens", "image_pixels", "total_tokens"]
)
OpenAIModelList = inline_serializer(
    "GatewayModelList",
    {
        "object": serializers.CharField(),
        "data": inline_serializer(
            "GatewayModel",
            {
                "id": serializers.CharField(),
                "object": serializers.CharField(),
                "created": serializers.IntegerField(),
                "owned_by": serializers.CharField(),
                "dimensions": serializers.IntegerField(),
                "modalities": serializers.ListField(
                    child=serializers.ChoiceField(["text", "image"])
                ),
                "shortening": serializers.BooleanField(),
            },
            many=True,
        ),
    },
)


class VoyageEmbeddingsRequest(serializers.Serializer[Any]):
    inputs = inline_serializer(
        "VoyageInput",
        {
            "content": inline_serializer(
                "VoyageContent",
                {
                    "type": serializers.ChoiceField(["text", "image_url", "image_base64"]),
                    "text": serializers.CharField(required=False),
                    "image_url": serializers.URLField(required=False),
                    "image_base64": serializers.CharField(required=False),
                },
                many=True,
            )
        },
        many=True,
    )
    model = serializers.CharField(help_text="A served model (GET models).")
    input_type = serializers.ChoiceField(["query", "document"], allow_null=True, required=False)
    truncation = serializers.BooleanField(required=False, default=True)
    output_encoding = serializers.ChoiceField(["base64"], allow_null=True, required=False)
    output_dimension = serializers.IntegerField(allow_null=True, required=False)
