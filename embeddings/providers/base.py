"""The provider contract: what a provider can do, and one batch call.

An *input* is a sequence of parts (text and/or image). A provider that cannot embed
text and image together as one input (CLIP-style, ``interleaved=False``) gets each part
on its own; ``EmbeddingProvider.embed`` then fuses the parts of one input as a weighted
sum of their normalised vectors. Every vector that leaves a provider is float32 and
L2-normalised.
"""

from __future__ import annotations

import base64
import enum
import io
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
from django.core.checks import CheckMessage
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from PIL.Image import Image

Vectors = npt.NDArray[np.float32]

# Modes every model and vendor decodes as they are; others are converted first.
WEB_IMAGE_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def eight_bit(image: Image, *, keep_alpha: bool) -> Image:
    """The image as 8-bit RGB, or RGBA when it is transparent and `keep_alpha` (otherwise
    laid on white, the usual background of a product photo). CMYK and palette images are
    converted; 16-bit greyscale is scaled down (Pillow's own conversion clips it to white)."""
    from PIL import Image as PILImage

    if image.mode.startswith("I"):  # I, I;16, I;16B ...: values 0..65535
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        foreground = image.convert("RGBA")
        if keep_alpha:
            return foreground
        background = PILImage.new("RGBA", foreground.size, (255, 255, 255, 255))
        return PILImage.alpha_composite(background, foreground).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


class InputType(enum.StrEnum):
    """Asymmetric models embed what is searched for and what is stored differently."""

    QUERY = "query"
    DOCUMENT = "document"


@dataclass(frozen=True)
class TextPart:
    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class ImagePart:
    """Encoded image bytes (JPEG, PNG, WebP or GIF), already validated by the catalog."""

    data: bytes
    content_type: str
    weight: float = 1.0

    def __repr__(self) -> str:  # keep logs and test output readable
        return f"ImagePart({self.content_type}, {len(self.data)} bytes, weight={self.weight})"

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.content_type};base64,{self.base64()}"

    def pixels(self) -> int:
        """Width x height, read from the header (nothing is decoded)."""
        from PIL import Image

        with Image.open(io.BytesIO(self.data)) as image:
            return int(image.width * image.height)


Part = TextPart | ImagePart
EmbeddingInput = Sequence[Part]


@dataclass(frozen=True)
class Capabilities:
    text: bool
    image: bool
    dimensions: int
    max_batch: int = 32
    interleaved: bool = False  # text + image in one input -> one vector
    input_types: bool = False  # distinguishes query from document inputs


@dataclass
class Usage:
    requests: int = 0
    inputs: int = 0
    text_tokens: int = 0
    images: int = 0
    image_pixels: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            inputs=self.inputs + other.inputs,
            text_tokens=self.text_tokens + other.text_tokens,
            images=self.images + other.images,
            image_pixels=self.image_pixels + other.image_pixels,
        )


@dataclass
class EmbeddingResult:
    vectors: Vectors  # shape (len(inputs), dimensions), float32, rows L2-normalised
    usage: Usage = field(default_factory=Usage)


class ProviderError(Exception):
    """A provider could not embed. ``transient`` errors are worth retrying later."""

    transient: bool = False

    def __init__(self, alias: str, message: str) -> None:
        super().__init__(f"{alias}: {message}")
        self.alias = alias
        self.message = message


class TransientProviderError(ProviderError):
    transient = True


class PermanentProviderError(ProviderError):
    """Retrying the same input will fail the same way (bad input, bad credentials, ...)."""


class ModelUnavailableError(PermanentProviderError):
    """The model's files are not here and cannot be fetched."""


class ProviderConfigurationError(ImproperlyConfigured):
    pass


def l2_normalise(vectors: npt.ArrayLike) -> Vectors:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (array / norms).astype(np.float32, copy=False)


def fuse(vectors: Vectors, weights: Sequence[float]) -> Vectors:
    """Weighted sum of normalised vectors, normalised again: one vector for a mixed query.
    Negative weights push the result away from a part."""
    stacked = l2_normalise(vectors)
    combined = (np.asarray(weights, dtype=np.float32)[:, None] * stacked).sum(axis=0)
    return l2_normalise(combined)[0]


class EmbeddingProvider(ABC):
    """Base class for every provider. Subclasses set ``capabilities`` in ``__init__`` (or
    as a class attribute) and implement ``embed_batch``."""

    required_options: ClassVar[tuple[str, ...]] = ()
    capabilities: Capabilities

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        missing = [name for name in self.required_options if not options.get(name)]
        if missing:
            raise ProviderConfigurationError(
                f"EMBEDDING_PROVIDERS[{alias!r}]: missing OPTIONS {', '.join(missing)}"
            )
        self.alias = alias
        self.options = dict(options)

    @property
    @abstractmethod
    def model_name(self) -> str:
        """Identity of the model that makes the vectors (stored on every space)."""

    @abstractmethod
    def embed_batch(
        self, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> EmbeddingResult:
        """Embed up to ``capabilities.max_batch`` inputs in one call. For a provider that
        is not ``interleaved`` every input holds exactly one part."""

    def check(self) -> list[CheckMessage]:
        """System-check hook: report what would stop this provider from working."""
        return []

    def warm(self) -> None:
        """Load what the first call would otherwise load (a worker calls it at start)."""
        return None

    def embed(self, inputs: Sequence[EmbeddingInput], *, input_type: InputType) -> EmbeddingResult:
        """Embed any number of inputs: batches within the provider's limits, and fuses the
        parts of mixed inputs for providers that cannot interleave."""
        for index, parts in enumerate(inputs):
            if not parts:
                raise PermanentProviderError(self.alias, f"input {index} has no parts")
            for part in parts:
                if isinstance(part, TextPart) and not self.capabilities.text:
                    raise PermanentProviderError(self.alias, "this provider does not embed text")
                if isinstance(part, ImagePart) and not self.capabilities.image:
                    raise PermanentProviderError(self.alias, "this provider does not embed images")
        if self.capabilities.interleaved:
            return self._batched(list(inputs), input_type=input_type)
        # One provider input per part, then one fused vector per caller input.
        flat: list[EmbeddingInput] = [(part,) for parts in inputs for part in parts]
        result = self._batched(flat, input_type=input_type)
        vectors: list[Vectors] = []
        offset = 0
        for parts in inputs:
            chunk = result.vectors[offset : offset + len(parts)]
            offset += len(parts)
            if len(parts) == 1 and parts[0].weight == 1.0:
                vectors.append(chunk[0])
            else:
                vectors.append(fuse(chunk, [part.weight for part in parts]))
        stacked = (
            np.stack(vectors)
            if vectors
            else np.zeros((0, self.capabilities.dimensions), np.float32)
        )
        return EmbeddingResult(vectors=stacked.astype(np.float32, copy=False), usage=result.usage)

    def _batched(self, inputs: list[EmbeddingInput], *, input_type: InputType) -> EmbeddingResult:
        size = max(1, self.capabilities.max_batch)
        chunks: list[Vectors] = []
        usage = Usage()
        for start in range(0, len(inputs), size):
            result = self.embed_batch(inputs[start : start + size], input_type=input_type)
            if result.vectors.shape != (
                len(inputs[start : start + size]),
                self.capabilities.dimensions,
            ):
                raise PermanentProviderError(
                    self.alias,
                    f"returned vectors of shape {result.vectors.shape}, expected "
                    f"({len(inputs[start : start + size])}, {self.capabilities.dimensions})",
                )
            chunks.append(l2_normalise(result.vectors))
            if not result.usage.inputs:
                result.usage.inputs = len(inputs[start : start + size])
            usage = usage.add(result.usage)
        vectors = (
            np.concatenate(chunks)
            if chunks
            else np.zeros((0, self.capabilities.dimensions), np.float32)
        )
        return EmbeddingResult(vectors=vectors, usage=usage)
