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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
from django.core.checks import CheckMessage
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    pass

Vectors = npt.NDArray[np.float32]


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


@dataclass(frozen=True)
class Option:
    """One OPTIONS key a provider understands. Values keep their JSON types: an int is
    never a string or a bool, a flag is a bool. A key left out, or set to None, takes
    the default."""

    kind: type[bool] | type[int] | type[float] | type[str]
    default: Any = None
    required: bool = False
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.minimum is not None and self.maximum is not None:
            return f"a whole number from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"a whole number of at least {self.minimum}"
        return _KIND_WORDS[self.kind]

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) and self.kind is not bool:
            return False
        kinds = (int, float) if self.kind is float else (self.kind,)
        if not isinstance(value, kinds):
            return False
        number: Any = value
        return (
            (not self.choices or value in self.choices)
            and (self.minimum is None or number >= self.minimum)
            and (self.maximum is None or number <= self.maximum)
        )


_KIND_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}


def validated_options(
    alias: str, options: Mapping[str, Any], declared: Mapping[str, Option]
) -> dict[str, Any]:
    """Every declared option (the given value or its default), or the one error that says
    which options are unknown, missing or of the wrong type or value."""
    where = f"EMBEDDING_PROVIDERS[{alias!r}]"
    unknown = sorted(set(options) - set(declared))
    if unknown:
        raise ProviderConfigurationError(
            f"{where}: unknown OPTIONS {', '.join(unknown)} (known: {', '.join(sorted(declared))})"
        )
    missing = [
        name for name, option in declared.items() if option.required and not options.get(name)
    ]
    if missing:
        raise ProviderConfigurationError(f"{where}: missing OPTIONS {', '.join(missing)}")
    values: dict[str, Any] = {}
    for name, option in declared.items():
        value = options.get(name)
        if value is None:
            values[name] = option.default
        elif option.accepts(value):
            values[name] = value
        else:
            raise invalid_option(alias, name, option.describe(), value)
    return values


def invalid_option(alias: str, name: str, expected: str, value: Any) -> ProviderConfigurationError:
    """The error for an option of the wrong value: also for the checks a provider makes
    across options (a model's dimensions), so that every such error reads the same."""
    return ProviderConfigurationError(
        f"EMBEDDING_PROVIDERS[{alias!r}]: OPTIONS[{name!r}] must be {expected}, not {value!r}"
    )


T = TypeVar("T")


class OverBudgetError(ValueError):
    """One item costs more than a whole batch may."""

    def __init__(self, cost: int, budget: int) -> None:
        super().__init__(f"one input is larger than the per-request limit ({cost} > {budget})")


def batched(
    items: Sequence[T],
    *,
    size: int,
    cost: Callable[[T], int] | None = None,
    budget: int | None = None,
) -> Iterator[list[T]]:
    """Consecutive batches of at most `size` items whose costs (tokens, pixels, bytes) add
    up to at most `budget`: the one way inputs are split to fit a model's or a vendor's
    limits."""
    current: list[T] = []
    spent = 0
    for item in items:
        item_cost = cost(item) if cost is not None else 0
        if budget is not None and item_cost > budget:
            raise OverBudgetError(item_cost, budget)
        over = budget is not None and spent + item_cost > budget
        if current and (len(current) >= max(1, size) or over):
            yield current
            current, spent = [], 0
        current.append(item)
        spent += item_cost
    if current:
        yield current


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

    # The OPTIONS this provider understands; `dimensions` is what the system check
    # compares with the model's own size.
    declared_options: ClassVar[Mapping[str, Option]] = {"dimensions": Option(int, minimum=1)}
    capabilities: Capabilities

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        self.alias = alias
        self.options = validated_options(alias, options, self.declared_options)

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
        chunks: list[Vectors] = []
        usage = Usage()
        for batch in batched(inputs, size=self.capabilities.max_batch):
            result = self.embed_batch(batch, input_type=input_type)
            chunks.append(l2_normalise(self.checked_shape(result.vectors, len(batch))))
            if not result.usage.inputs:
                result.usage.inputs = len(batch)
            usage = usage.add(result.usage)
        vectors = (
            np.concatenate(chunks)
            if chunks
            else np.zeros((0, self.capabilities.dimensions), np.float32)
        )
        return EmbeddingResult(vectors=vectors, usage=usage)

    def checked_shape(self, vectors: Vectors, count: int) -> Vectors:
        expected = (count, self.capabilities.dimensions)
        if vectors.shape != expected:
            raise PermanentProviderError(
                self.alias, f"returned vectors of shape {vectors.shape}, expected {expected}"
            )
        return vectors
