"""Nomic Atlas's embedding API: nomic-embed-text-v1.5 for text and nomic-embed-vision-v1.5
for images, two models trained into one 768-dimensional space, so one alias embeds both.

Wire format, as Nomic documents it:

- Text: ``POST https://api-atlas.nomic.ai/v1/embedding/text`` with JSON ``{"model",
  "texts": [...], "task_type": "search_query" | "search_document" | ..., "long_text_mode":
  "truncate" | "mean", "dimensionality"}``; ``dimensionality`` (Matryoshka; recommended
  768, 512, 256, 128, 64) only applies to nomic-embed-text-v1.5.
- Images: ``POST /v1/embedding/image`` as multipart/form-data: a ``model`` field and one
  ``images`` file part per image (.png, .jpeg or .webp). No task type and no
  dimensionality: image vectors are always 768-dimensional.
- Both answer ``{"embeddings": [[...], ...], "usage": {"prompt_tokens", "total_tokens"},
  "model"}``, vectors in the order sent; validation errors are FastAPI's 422
  ``{"detail": [{"loc", "msg", "type"}]}``.
- ``Authorization: Bearer $NOMIC_API_KEY``.

Sources:
- https://docs.nomic.ai/reference/api/embed-text-v-1-embedding-text-post
- https://docs.nomic.ai/reference/endpoints/nomic-embed-vision (fields, formats, curl)
- https://docs.nomic.ai/atlas/models/text-embedding and .../image-embedding (models,
  dimensions, task types)
- https://github.com/nomic-ai/nomic/blob/main/nomic/embed.py (Nomic's own client: the
  same bodies; 10 texts per request since nomic-ai/nomic#392, 512 images per request;
  images downscaled to fit 512×512 before sending; no dimensionality for images)

Where the docs are silent: the image endpoint's usage fields (Nomic's client treats usage
as a dict of counters; the images are counted here from what was sent), any hard limit on
texts or images per request (the client's batch sizes are used), and any image byte limit.

A batch may mix texts and images; they go out as separate requests (each through the
shared retry / circuit-breaker path) and the vectors come back in input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx
import numpy as np

from embeddings.providers import base, http

FULL_DIMENSIONS = 768
MIN_DIMENSIONS = 64  # the smallest size Nomic recommends; its client warns below it
# Text model -> the vision model trained into its space.
TEXT_MODELS = {
    "nomic-embed-text-v1.5": "nomic-embed-vision-v1.5",
    "nomic-embed-text-v1": "nomic-embed-vision-v1",
}
MATRYOSHKA_MODELS = frozenset({"nomic-embed-text-v1.5"})
TASK_TYPES = {base.InputType.QUERY: "search_query", base.InputType.DOCUMENT: "search_document"}
LONG_TEXT_MODES = ("truncate", "mean")
MAX_TEXTS_PER_REQUEST = 10  # nomic/embed.py MAX_TEXT_REQUEST_SIZE
MAX_IMAGES_PER_REQUEST = 512  # nomic/embed.py MAX_IMAGE_REQUEST_SIZE
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class NomicProvider(http.HttpProvider):
    """OPTIONS (besides the shared ones in `http.HttpProvider`): model (the text model,
    nomic-embed-text-v1.5), vision_model (nomic-embed-vision-v1.5; set it to "" or None
    for a text-only alias), dimensions (64..768 for a text-only v1.5 alias; 768 whenever
    images are embedded, because the image endpoint has no dimensionality), long_text_mode
    ("truncate" or "mean"), max_batch (inputs per call, default 64)."""

    vendor = "nomic"
    default_base_url = "https://api-atlas.nomic.ai"
    default_model = "nomic-embed-text-v1.5"
    api_key_env = "NOMIC_API_KEY"
    max_inputs_per_request = MAX_TEXTS_PER_REQUEST
    max_images_per_request: ClassVar[int | None] = MAX_IMAGES_PER_REQUEST
    image_limits: ClassVar[http.ImageLimits] = http.ImageLimits(
        max_pixels=512 * 512, formats=frozenset(EXTENSIONS)
    )

    declared_options: ClassVar[Mapping[str, base.Option]] = http.vendor_options(
        model=base.Option(str, choices=tuple(TEXT_MODELS)),
        vision_model=base.Option(str),  # left out: the text model's; None or "": text only
        dimensions=base.Option(int, minimum=MIN_DIMENSIONS, maximum=FULL_DIMENSIONS),
        long_text_mode=base.Option(str, "truncate", choices=LONG_TEXT_MODES),
        max_batch=base.Option(int, 64, minimum=1),
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        partner = TEXT_MODELS[self.model]
        vision = self.options["vision_model"] if "vision_model" in options else partner
        self.vision_model = str(vision) if vision else None
        if self.vision_model not in (None, partner):
            expected = f"{partner!r} (the one in {self.model}'s space) or None for text only"
            raise base.invalid_option(alias, "vision_model", expected, self.vision_model)
        dimensions = self.options["dimensions"] or FULL_DIMENSIONS
        if dimensions != FULL_DIMENSIONS and (
            self.model not in MATRYOSHKA_MODELS or self.vision_model is not None
        ):
            # Nomic's image endpoint has no dimensionality: an alias that embeds images
            # makes full-size vectors.
            expected = f"{FULL_DIMENSIONS} for {self.model}" + (
                " with images (set vision_model to None for smaller text-only vectors)"
                if self.vision_model
                else ""
            )
            raise base.invalid_option(alias, "dimensions", expected, dimensions)
        self.long_text_mode = self.options["long_text_mode"]
        self.capabilities = self.hosted_capabilities(
            dimensions, image=self.vision_model is not None
        )

    # --- one request -----------------------------------------------------------------------

    def request_for(
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> http.HttpRequest:
        if all(is_text(parts) for parts in inputs):
            body: dict[str, Any] = {
                "model": self.model,
                "texts": [text_of(parts) for parts in inputs],
                "task_type": TASK_TYPES[input_type],
                "long_text_mode": self.long_text_mode,
            }
            if self.model in MATRYOSHKA_MODELS:
                body["dimensionality"] = self.capabilities.dimensions
            return http.HttpRequest(method="POST", path="/v1/embedding/text", json=body)
        images = [image_of(parts) for parts in inputs]
        return http.HttpRequest(
            method="POST",
            path="/v1/embedding/image",
            data={"model": self.vision_model},
            files=[
                (
                    "images",
                    (f"image-{n}.{EXTENSIONS[image.content_type]}", image.data, image.content_type),
                )
                for n, image in enumerate(images)
            ],
        )

    def parse(self, body: Any, inputs: Sequence[base.EmbeddingInput]) -> base.EmbeddingResult:
        embeddings = body["embeddings"]
        if len(embeddings) != len(inputs):
            raise ValueError(f"{len(embeddings)} embeddings for {len(inputs)} inputs")
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.shape != (len(inputs), self.capabilities.dimensions):
            raise ValueError(f"vectors of shape {vectors.shape}")
        if all(is_text(parts) for parts in inputs):
            usage = body.get("usage") or {}
            tokens = int(usage.get("total_tokens") or usage.get("prompt_tokens") or 0)
            return base.EmbeddingResult(vectors, base.Usage(inputs=len(inputs), text_tokens=tokens))
        images = [image_of(parts) for parts in inputs]
        return base.EmbeddingResult(
            vectors,
            base.Usage(
                inputs=len(inputs),
                images=len(images),
                image_pixels=sum(image.pixels() for image in images),
            ),
        )

    def error_message(self, response: httpx.Response) -> str:
        """FastAPI validation errors (422) as "field: message"; anything else as usual."""
        try:
            detail = response.json().get("detail")
        except (ValueError, AttributeError):
            detail = None
        if isinstance(detail, list) and detail and all(isinstance(e, dict) for e in detail):
            return "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg', '')}" for e in detail
            )[:500]
        return super().error_message(response)


def is_text(parts: base.EmbeddingInput) -> bool:
    return len(parts) == 1 and isinstance(parts[0], base.TextPart)


def text_of(parts: base.EmbeddingInput) -> str:
    (part,) = parts
    if not isinstance(part, base.TextPart):
        raise TypeError("a Nomic text request holds texts only")
    return part.text


def image_of(parts: base.EmbeddingInput) -> base.ImagePart:
    (part,) = parts
    if not isinstance(part, base.ImagePart):
        raise TypeError("a Nomic image request holds images only")
    return part
