"""A deterministic in-process provider for pipeline tests: vectors derived from a hash of
the input, every call recorded, failures injected by the test."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from embeddings.providers import base


def fake_vector(key: bytes, dimensions: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
    return base.l2_normalise(np.random.default_rng(seed).standard_normal(dimensions))[0]


FAKE_OPTIONS = {
    "text": base.Option(bool, True),
    "image": base.Option(bool, True),
    "dimensions": base.Option(int, 8, minimum=1),
    "max_batch": base.Option(int, 4, minimum=1),
    "interleaved": base.Option(bool, False),
}


def interleaved_key(parts: base.EmbeddingInput) -> bytes:
    return b"|".join(
        b"text:" + part.text.encode() if isinstance(part, base.TextPart) else b"image:" + part.data
        for part in parts
    )


class FakeProvider(base.EmbeddingProvider):
    calls: ClassVar[list[list[base.EmbeddingInput]]] = []
    transient_failures: ClassVar[int] = 0  # the next N calls raise TransientProviderError
    # PermanentProviderError for the inputs that contain it:
    reject_text_containing: ClassVar[str | None] = None
    declared_options: ClassVar[Mapping[str, base.Option]] = FAKE_OPTIONS

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.capabilities = base.Capabilities(
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
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> base.EmbeddingResult:
        type(self).calls.append(list(inputs))
        if type(self).transient_failures > 0:
            type(self).transient_failures -= 1
            raise base.TransientProviderError(self.alias, "503 Service Unavailable (injected)")
        rows = []
        for parts in inputs:
            if len(parts) > 1:  # an interleaved input: one vector for all its parts
                rows.append(fake_vector(interleaved_key(parts), self.capabilities.dimensions))
                continue
            (part,) = parts
            if isinstance(part, base.TextPart):
                bad = type(self).reject_text_containing
                if bad and bad in part.text:
                    raise base.PermanentProviderError(
                        self.alias, f"400 input rejected: contains {bad!r}"
                    )
                rows.append(
                    fake_vector(b"text:" + part.text.encode(), self.capabilities.dimensions)
                )
            else:
                assert isinstance(part, base.ImagePart)
                rows.append(fake_vector(b"image:" + part.data, self.capabilities.dimensions))
        return base.EmbeddingResult(
            vectors=np.stack(rows).astype(np.float32),
            usage=base.Usage(requests=1, inputs=len(rows)),
        )


class GeometryProvider(base.EmbeddingProvider):
    """Query vectors chosen by the test: text and image bytes are looked up in ``table``
    (a class attribute the test fills), so rankings can be asserted exactly."""

    table: ClassVar[dict[str, list[float]]] = {}
    fail_with: ClassVar[Exception | None] = None
    declared_options: ClassVar[Mapping[str, base.Option]] = {
        **FAKE_OPTIONS,
        "dimensions": base.Option(int, 3, minimum=1),
        "max_batch": base.Option(int, 16, minimum=1),
    }

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.capabilities = base.Capabilities(
            text=self.options["text"], image=self.options["image"],
            dimensions=self.options["dimensions"], max_batch=self.options["max_batch"],
        )  # fmt: skip

    @property
    def model_name(self) -> str:
        return f"geometry-{self.alias}"

    def embed_batch(
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> base.EmbeddingResult:
        failure = type(self).fail_with
        if failure is not None:
            raise failure
        rows = []
        for parts in inputs:
            (part,) = parts
            key = (
                part.text
                if isinstance(part, base.TextPart)
                else "image:" + hashlib.sha256(part.data).hexdigest()
            )
            rows.append(type(self).table[key])
        return base.EmbeddingResult(
            vectors=np.asarray(rows, dtype=np.float32), usage=base.Usage(inputs=len(rows))
        )
