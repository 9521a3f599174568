"""The one way a gateway request embeds: the key's quota, the micro-batcher, the usage.

Inputs arrive already parsed into parts (each API module reads its own wire format)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from embeddings.providers.base import (
    EmbeddingInput,
    ImagePart,
    InputType,
    ProviderError,
    TextPart,
    Usage,
    Vectors,
    l2_normalise,
)
from gateway.batching import batcher
from gateway.errors import GatewayError, Kind
from gateway.limits import key_quota_check
from gateway.models import GatewayKey
from gateway.selectors import ServedModel
from gateway.services import gateway_usage_record
from searchapp.images import (
    image_from_bytes,
    image_from_data_url,
    image_from_url,
    sniff_image_format,
)

PIXELS_PER_TOKEN = 560  # Voyage: every 560 pixels of an image count as one token


@dataclass(frozen=True)
class GatewayResult:
    vectors: Vectors
    usage: Usage

    @property
    def image_tokens(self) -> int:
        return -(-self.usage.image_pixels // PIXELS_PER_TOKEN)


def estimate_tokens(text: str) -> int:
    """What limits are checked with before a model sees the text (the vendors' own
    tokenizers are not available): about three characters per token, on the safe side."""
    return len(text) // 3 + 1


def image_part(*, data: bytes | None = None, data_url: str | None = None, url: str | None = None,
               where: str) -> ImagePart:  # fmt: skip
    """Image bytes, a data URL or an http(s) URL (fetched through the guarded URL fetcher),
    validated by the catalog's image rules."""
    try:
        if url is not None:
            image = image_from_url(url)
        elif data_url is not None:
            image = image_from_data_url(data_url)
        else:
            image = image_from_bytes(data or b"")
    except ValidationError as exc:
        raise GatewayError(Kind.INVALID, f"{where}: {' '.join(exc.messages)}", param=where) from exc
    return ImagePart(data=image.data, content_type=image.content_type)


def image_bytes_from_base64(value: str) -> bytes | None:
    """Raw base64 of an image (how self-hosted OpenAI-style servers take images in `input`),
    or None when the string is not that (it is then a text)."""
    if len(value) < 16 or any(ch.isspace() for ch in value[:64]):
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if sniff_image_format(data[:32]) is not None else None


def usage_of(model: ServedModel, inputs: Sequence[EmbeddingInput]) -> Usage:
    """Tokens as the model saw them (its own tokenizer, after truncation, when it has one),
    and the images' pixels."""
    texts = [part.text for parts in inputs for part in parts if isinstance(part, TextPart)]
    images = [part for parts in inputs for part in parts if isinstance(part, ImagePart)]
    token_ids = getattr(model.provider, "token_ids", None)
    if texts and callable(token_ids):
        text_tokens = sum(len(ids) for ids in token_ids(texts))
    else:
        text_tokens = sum(estimate_tokens(text) for text in texts)
    return Usage(
        inputs=len(inputs),
        text_tokens=text_tokens,
        images=len(images),
        image_pixels=sum(part.pixels() for part in images),
    )


def gateway_embed(
    *,
    key: GatewayKey,
    model: ServedModel,
    inputs: Sequence[EmbeddingInput],
    input_type: InputType,
    dimensions: int | None = None,
) -> GatewayResult:
    """Embed for a client: within its key's quota, micro-batched with other requests for the
    same model, shortened to `dimensions` (Matryoshka models), usage recorded for the key."""
    for index, parts in enumerate(inputs):
        for part in parts:
            if isinstance(part, ImagePart) and not model.image:
                raise GatewayError(
                    Kind.INVALID, f"Model {model.alias!r} embeds text only; input {index} "
                    "holds an image.", param="input",
                )  # fmt: skip
            if isinstance(part, TextPart) and not model.text:
                raise GatewayError(
                    Kind.INVALID, f"Model {model.alias!r} embeds images only; input {index} "
                    "holds text.", param="input",
                )  # fmt: skip
    key_quota_check(key=key, inputs=len(inputs))
    try:
        vectors = batcher.embed(model.alias, inputs, input_type=input_type)
    except ProviderError as exc:
        if exc.transient:
            raise GatewayError(Kind.UNAVAILABLE, exc.message, retry_after=5) from exc
        raise GatewayError(Kind.INVALID, exc.message) from exc
    if dimensions is not None and dimensions < model.dimensions:
        vectors = l2_normalise(vectors[:, :dimensions])
    usage = usage_of(model, inputs)
    gateway_usage_record(key=key, alias=model.alias, usage=usage)
    return GatewayResult(vectors=vectors, usage=usage)
