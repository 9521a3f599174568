"""A deterministic in-process provider for pipeline tests: vectors derived from a hash of
the input, every call recorded, failures injected by the test."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from embeddings.providers.base import (
    Capabilities,
    EmbeddingInput,
    EmbeddingProvider,
    EmbeddingResult,
    ImagePart,
    InputType,
    Option,
    PermanentProviderError,
    TextPart,
    TransientProviderError,
    Usage,
    l2_normalise,
)


def fake_vector(key: bytes, dimensions: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
    return l2_normalise(np.random.default_rng(seed).standard_normal(dimensions))[0]


FAKE_OPTIONS = {
    "text": Option(bool, True),
    "image": Option(bool, True),
    "dimensions": Option(int, 8, minimum=1),
    "max_batch": Option(int, 4, minimum=1),
    "interleaved": Option(bool, False),
}


def interleaved_key(parts: EmbeddingInput) -> bytes:
    return b"|".join(
        b"text:" + part.text.encode() if isinstance(part, TextPart) else b"image:" + part.data
        for part in parts
    )


class FakeProvider(EmbeddingProvider):
    calls: ClassVar[list[list[EmbeddingInput]]] = []
    transient_failures: ClassVar[int] = 0  # the next N calls raise TransientProviderError
    reject_text_containing: ClassVar[str | None] = None  # PermanentProviderError for such inputs
    declared_options: ClassVar[Mapping[str, Option]] = FAKE_OPTIONS

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.capabilities = Capabilities(
            text=self.options["text"],
            image=self.options["image"],
            dimensions=self.options["dimensions"],
            max_batch=self.options["max_batch"],
            interleaved=self.options["interleaved"],
        )

    @property
    def model_name(self) -> str:
        return f"fake-{self.capabilities.dimensions}"

    @classmethod
    def reset(cls) -> None:
        cls.calls = []
        cls.transient_failures = 0
        cls.reject_text_containing = None

    def embed_batch(
        self, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> EmbeddingResult:
        type(self).calls.append(list(inputs))
        if type(self).transient_failures > 0:
            type(self).transient_failures -= 1
            raise TransientProviderError(self.alias, "503 Service Unavailable (injected)")
        rows = []
        for parts in inputs:
            if len(parts) > 1:  # an interleaved input: one vector for all its parts
                rows.append(fake_vector(interleaved_key(parts), self.capabilities.dimensions))
                continue
            (part,) = parts
            if isinstance(part, TextPart):
                bad = type(self).reject_text_containing
                if bad and bad in part.text:
                    raise PermanentProviderError(
                        self.alias, f"400 input rejected: contains {bad!r}"
                    )
                rows.append(
                    fake_vector(b"text:" + part.text.encode(), self.capabilities.dimensions)
                )
            else:
                assert isinstance(part, ImagePart)
                rows.append(fake_vector(b"image:" + part.data, self.capabilities.dimensions))
        return EmbeddingResult(
            vectors=np.stack(rows).astype(np.float32), usage=Usage(requests=1, inputs=len(rows))
        )


class GeometryProvider(EmbeddingProvider):
    """Query vectors chosen by the test: text and image bytes are looked up in ``table``
    (a class attribute the test fills), so rankings can be asserted exactly."""

    table: ClassVar[dict[str, list[float]]] = {}
    fail_with: ClassVar[Exception | None] = None
    declared_options: ClassVar[Mapping[str, Option]] = {
        **FAKE_OPTIONS,
        "dimensions": Option(int, 3, minimum=1),
        "max_batch": Option(int, 16, minimum=1),
    }

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.capabilities = Capabilities(
            text=self.options["text"], image=self.options["image"],
            dimensions=self.options["dimensions"], max_batch=self.options["max_batch"],
        )  # fmt: skip

    @property
    def model_name(self) -> str:
        return f"geometry-{self.alias}"

    def embed_batch(
        self, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> EmbeddingResult:
        failure = type(self).fail_with
        if failure is not None:
            raise failure
        rows = []
        for parts in inputs:
            (part,) = parts
            key = (
                part.text
                if isinstance(part, TextPart)
                else "image:" + hashlib.sha256(part.data).hexdigest()
            )
            rows.append(type(self).table[key])
        return EmbeddingResult(
            vectors=np.asarray(rows, dtype=np.float32), usage=Usage(inputs=len(rows))
        )
