"""What every hosted provider shares: one httpx client, timeouts, retries with exponential
backoff + jitter that honour Retry-After, clear errors for 4xx, a circuit breaker per alias,
batching within request limits, and images re-encoded only when over a vendor's limit.

A subclass says where to send a batch and how to read the answer (`request_for` and
`parse`), and declares its limits. Tests replace the transport (OPTIONS["transport"], or
`HttpProvider.transport_factory`) — nothing else is faked.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import os
import random
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import numpy as np
import numpy.typing as npt
from django.core import checks
from django.utils.module_loading import import_string

from embeddings.providers.base import (
    Capabilities,
    EmbeddingInput,
    EmbeddingProvider,
    EmbeddingResult,
    ImagePart,
    InputType,
    Option,
    OverBudgetError,
    PermanentProviderError,
    TextPart,
    TransientProviderError,
    Usage,
    batched,
)
from embeddings.providers.images import ImageLimits, fit_image

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # joined to base_url
    json: Any = None
    files: Any = None  # multipart
    data: Mapping[str, Any] | None = None  # multipart form fields
    headers: Mapping[str, str] | None = None


class CircuitBreaker:
    """Per alias, per process: after `threshold` consecutive failed calls the circuit opens
    and calls fail at once for `cooldown` seconds; then one call is let through (half-open)
    and its outcome closes or re-opens the circuit. It keeps the last failure's words, so
    that a call refused while the circuit is open still says what is wrong."""

    def __init__(self, threshold: int, cooldown: float) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.last_error = ""
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at >= self.cooldown:
                self._opened_at = time.monotonic()  # half-open: one trial per cooldown
                return True
            return False

    def record(self, *, ok: bool, error: str = "") -> None:
        with self._lock:
            if ok:
                self._failures = 0
                self._opened_at = None
                return
            self._failures += 1
            self.last_error = error or self.last_error
            if self._failures >= self.threshold:
                self._opened_at = time.monotonic()

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def circuit_breaker(alias: str, threshold: int, cooldown: float) -> CircuitBreaker:
    with _breakers_lock:
        breaker = _breakers.get(alias)
        if breaker is None or (breaker.threshold, breaker.cooldown) != (threshold, cooldown):
            breaker = _breakers[alias] = CircuitBreaker(threshold, cooldown)
        return breaker


def reset_circuit_breakers() -> None:
    with _breakers_lock:
        _breakers.clear()


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), if the vendor sent one."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# The OPTIONS every hosted provider understands; a vendor adds its own (`vendor_options`).
HTTP_OPTIONS: dict[str, Option] = {
    "model": Option(str),
    "base_url": Option(str),
    "api_key": Option(str),  # else the vendor's environment variable
    "timeout": Option(float, 60),  # read, seconds
    "connect_timeout": Option(float, 10),
    "max_retries": Option(int, 4, minimum=0),
    "backoff": Option(float, 1.0),  # the first delay, seconds
    "backoff_max": Option(float, 30.0),
    "circuit_threshold": Option(int, 5, minimum=1),
    "circuit_cooldown": Option(float, 30),
    "query_max_retries": Option(int, 1, minimum=0),
    "query_timeout": Option(float, 10),
    "dimensions": Option(int, minimum=1),  # where the vendor lets you choose
    "transport": Option(str),  # dotted path of a callable that returns an httpx transport
}


def vendor_options(**options: Option) -> dict[str, Option]:
    """HTTP_OPTIONS and a vendor's own (each declares `max_batch`: inputs per call)."""
    return {**HTTP_OPTIONS, **options}


class HttpProvider(EmbeddingProvider):
    """Base for hosted providers (OPTIONS: `HTTP_OPTIONS` and the vendor's own)."""

    default_base_url: ClassVar[str]
    api_key_env: ClassVar[str | None] = None
    default_model: ClassVar[str]
    vendor: ClassVar[str]
    max_inputs_per_request: ClassVar[int] = 96
    # Set where texts and images must go in separate requests, with their own count limit.
    max_images_per_request: ClassVar[int | None] = None
    image_limits: ClassVar[ImageLimits] = ImageLimits()
    # Tests may set this to build every client on a fake transport.
    transport_factory: ClassVar[Callable[[], httpx.BaseTransport] | None] = None

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.model = str(self.options["model"] or self.default_model)
        self.base_url = str(self.options["base_url"] or self.default_base_url).rstrip("/")
        self.timeout = httpx.Timeout(
            self.options["timeout"], connect=self.options["connect_timeout"]
        )
        self.max_retries = self.options["max_retries"]
        self.backoff = self.options["backoff"]
        self.backoff_max = self.options["backoff_max"]
        self.breaker = circuit_breaker(
            alias, self.options["circuit_threshold"], self.options["circuit_cooldown"]
        )
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    # --- what a vendor module provides ------------------------------------------------------

    @abstractmethod
    def request_for(
        self, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> HttpRequest:
        """The HTTP request that embeds these inputs (already within the vendor's limits)."""

    @abstractmethod
    def parse(self, body: Any, inputs: Sequence[EmbeddingInput]) -> EmbeddingResult:
        """Vectors (in input order) and usage from the vendor's JSON answer."""

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}"}

    def error_message(self, response: httpx.Response) -> str:
        """The vendor's own words about a failed call (never the request, never the key)."""
        try:
            body = response.json()
        except ValueError:
            return response.text[:500]
        if isinstance(body, dict):
            for key in ("detail", "message", "error", "error_message"):
                value = body.get(key)
                if isinstance(value, dict):
                    value = value.get("message") or value
                if value:
                    return str(value)[:500]
        return str(body)[:500]

    # --- shared machinery ----------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        dims = self.options.get("dimensions")
        return f"{self.vendor}:{self.model}" + (f"@{dims}d" if dims else "")

    def api_key(self) -> str:
        key = self.options.get("api_key") or (
            os.environ.get(self.api_key_env) if self.api_key_env else None
        )
        if not key:
            where = f"the {self.api_key_env} environment variable or " if self.api_key_env else ""
            raise PermanentProviderError(self.alias, f"no API key: set {where}OPTIONS['api_key']")
        return str(key)

    def check(self) -> list[checks.CheckMessage]:
        if self.api_key_env and not (
            self.options.get("api_key") or os.environ.get(self.api_key_env)
        ):
            return [
                checks.Warning(
                    f"{self.alias}: no API key ({self.api_key_env} is not set)",
                    hint=f"export {self.api_key_env}=... or set OPTIONS['api_key']",
                    id="embeddings.W030",
                    obj=self.alias,
                )
            ]
        return []

    def client(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                transport = None
                dotted = self.options.get("transport")
                if dotted:
                    transport = import_string(str(dotted))()
                elif HttpProvider.transport_factory is not None:
                    transport = HttpProvider.transport_factory()
                self._client = httpx.Client(
                    base_url=self.base_url,
                    timeout=self.timeout,
                    transport=transport,
                    headers={"User-Agent": "searchapp"},
                )
            return self._client

    def hosted_capabilities(
        self,
        dimensions: int,
        *,
        image: bool = True,
        interleaved: bool = False,
        input_types: bool = True,
    ) -> Capabilities:
        """Every hosted vendor embeds text, OPTIONS["max_batch"] inputs per call."""
        return Capabilities(
            text=True,
            image=image,
            dimensions=dimensions,
            max_batch=self.options["max_batch"],
            interleaved=interleaved,
            input_types=input_types,
        )

    def images_limits(self) -> ImageLimits:
        """The limits images are fitted to; an alias may narrow its vendor's (options)."""
        return self.image_limits

    def input_cost(self, parts: EmbeddingInput) -> int:
        return 0

    def max_request_cost(self) -> int | None:
        return None

    def prepare(self, inputs: Sequence[EmbeddingInput]) -> list[EmbeddingInput]:
        """Images over the vendor's limits are downscaled / re-encoded (never dropped)."""
        prepared: list[EmbeddingInput] = []
        for parts in inputs:
            fitted: list[TextPart | ImagePart] = []
            for part in parts:
                if isinstance(part, ImagePart):
                    try:
                        part = fit_image(part, self.images_limits())
                    except PermanentProviderError as exc:
                        raise PermanentProviderError(self.alias, exc.message) from exc
                fitted.append(part)
            prepared.append(tuple(fitted))
        return prepared

    def request_groups(self, inputs: Sequence[EmbeddingInput]) -> list[list[int]]:
        """Positions of the inputs each request carries, within the vendor's count and cost
        limits; texts and images apart when the vendor has `max_images_per_request`."""
        positions = list(range(len(inputs)))
        kinds = [(positions, self.max_inputs_per_request)]
        if self.max_images_per_request is not None:
            texts = [i for i in positions if isinstance(inputs[i][0], TextPart)]
            images = [i for i in positions if not isinstance(inputs[i][0], TextPart)]
            kinds = [(texts, self.max_inputs_per_request), (images, self.max_images_per_request)]
        try:
            return [
                group
                for members, limit in kinds
                for group in batched(
                    members,
                    size=min(self.capabilities.max_batch, limit),
                    cost=lambda i: self.input_cost(inputs[i]),
                    budget=self.max_request_cost(),
                )
            ]
        except OverBudgetError as exc:
            raise PermanentProviderError(self.alias, str(exc)) from exc

    def embed_batch(
        self, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> EmbeddingResult:
        prepared = self.prepare(inputs)
        vectors = np.zeros((len(prepared), self.capabilities.dimensions), dtype=np.float32)
        usage = Usage()
        for group in self.request_groups(prepared):
            result = self._call([prepared[i] for i in group], input_type=input_type)
            vectors[group] = self.checked_shape(result.vectors, len(group))
            usage = usage.add(result.usage)
        return EmbeddingResult(vectors=vectors, usage=usage)

    def _call(self, inputs: Sequence[EmbeddingInput], *, input_type: InputType) -> EmbeddingResult:
        if not self.breaker.allow():
            raise TransientProviderError(
                self.alias, f"{self.vendor} is failing; circuit open, calls paused for up to "
                f"{self.breaker.cooldown:.0f}s (last error: {self.breaker.last_error or 'unknown'})"
            )  # fmt: skip
        request = self.request_for(inputs, input_type=input_type)
        # A search is waiting on a query: fewer retries, shorter waits than the worker's.
        is_query = input_type == InputType.QUERY
        max_retries = self.options["query_max_retries"] if is_query else self.max_retries
        timeout = (
            httpx.Timeout(self.options["query_timeout"], connect=self.timeout.connect)
            if is_query
            else self.timeout
        )
        attempt = 0
        while True:
            auth = self.auth_headers()
            try:
                response = self.client().request(
                    request.method,
                    request.path,
                    json=request.json,
                    files=request.files,
                    data=request.data,
                    headers={**auth, **(request.headers or {})},
                    timeout=timeout,
                )
            except httpx.TimeoutException as exc:
                failure = TransientProviderError(
                    self.alias, f"{self.vendor} timed out ({type(exc).__name__})"
                )
                delay = None
            except httpx.TransportError as exc:
                failure = TransientProviderError(
                    self.alias,
                    redact(f"{self.vendor} unreachable: {type(exc).__name__}: {exc}", auth),
                )
                delay = None
            else:
                if response.is_success:
                    try:
                        result = self.parse(response.json(), inputs)
                    except (ValueError, KeyError, TypeError, IndexError) as exc:
                        shape = f"{self.vendor} answered in an unexpected shape: {exc}"
                        self.breaker.record(ok=False, error=shape)
                        raise PermanentProviderError(self.alias, shape) from exc
                    self.breaker.record(ok=True)
                    result.usage.requests += 1
                    return result
                message = redact(
                    f"{self.vendor} HTTP {response.status_code}: {self.error_message(response)}",
                    auth,
                )
                if response.status_code not in RETRYABLE_STATUSES:
                    # 400/401/403/404/422: retrying the same request fails the same way.
                    self.breaker.record(
                        ok=response.status_code < 500 and response.status_code not in (401, 403),
                        error=message,
                    )
                    raise PermanentProviderError(self.alias, message)
                failure = TransientProviderError(self.alias, message)
                delay = retry_after_seconds(response)
            if attempt >= max_retries:
                self.breaker.record(ok=False, error=failure.message)
                raise failure
            attempt += 1
            wait = delay if delay is not None else self._backoff(attempt)
            wait = min(wait, 2.0 if is_query else self.backoff_max * 4)
            logger.warning(
                "%s: %s; retry %d/%d in %.1fs", self.alias, failure, attempt, max_retries, wait
            )
            time.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        ceiling = min(self.backoff_max, self.backoff * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


def decode_vector(value: Any) -> npt.NDArray[np.float32]:
    """A vector as vendors return it: a list of floats, or base64 of little-endian float32
    (Voyage's output_encoding, Jina's and OpenAI's base64 encodings)."""
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value), dtype="<f4").astype(np.float32)
    return np.asarray(value, dtype=np.float32)


def redact(text: str, auth_headers: Mapping[str, str]) -> str:
    """The text with every credential sent in these headers blanked out: a vendor that echoes
    the key in an error (or a proxy in a URL) must not put it in logs, states or the admin."""
    for value in auth_headers.values():
        for secret in (value, value.split(" ", 1)[-1]):
            if len(secret) >= 8:
                text = text.replace(secret, "[redacted]")
    return text
