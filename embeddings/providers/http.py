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
import io
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
    WEB_IMAGE_MODES,
    EmbeddingInput,
    EmbeddingProvider,
    EmbeddingResult,
    ImagePart,
    InputType,
    PermanentProviderError,
    ProviderConfigurationError,
    TextPart,
    TransientProviderError,
    eight_bit,
)

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


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int | None = None
    max_bytes: int | None = None
    formats: frozenset[str] = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


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


def fit_image(part: ImagePart, limits: ImageLimits) -> ImagePart:
    """The image as the vendor accepts it: unchanged when within the limits and in a plain
    8-bit mode; otherwise (downscaled when too big) re-encoded as 8-bit JPEG, or PNG when it
    has transparency, until it fits. CMYK and 16-bit images are always converted: not every
    vendor's decoder reads them. Never dropped: an image that cannot be made to fit is an
    error."""
    from PIL import Image, ImageOps

    too_big = limits.max_bytes is not None and len(part.data) > limits.max_bytes
    with Image.open(io.BytesIO(part.data)) as opened:
        pixels = opened.width * opened.height
        too_many = limits.max_pixels is not None and pixels > limits.max_pixels
        wrong_format = part.content_type not in limits.formats
        unusual_mode = opened.mode not in WEB_IMAGE_MODES
        if not (too_big or too_many or wrong_format or unusual_mode):
            return part
        image = eight_bit(ImageOps.exif_transpose(opened), keep_alpha=True)
    scale = 1.0
    if limits.max_pixels is not None and pixels > limits.max_pixels:
        scale = (limits.max_pixels / pixels) ** 0.5
    has_alpha = image.mode == "RGBA"
    fmt, content_type = ("PNG", "image/png") if has_alpha else ("JPEG", "image/jpeg")
    for _ in range(12):
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        candidate = image.resize(size, Image.Resampling.LANCZOS) if scale < 1.0 else image
        buffer = io.BytesIO()
        candidate.save(
            buffer, format=fmt, **({"quality": 90} if fmt == "JPEG" else {"optimize": True})
        )
        data = buffer.getvalue()
        if limits.max_bytes is None or len(data) <= limits.max_bytes:
            return ImagePart(data=data, content_type=content_type, weight=part.weight)
        scale *= 0.75
    raise PermanentProviderError(
        "image", "the image cannot be reduced below the vendor's size limit"
    )


class HttpProvider(EmbeddingProvider):
    """Base for hosted providers. OPTIONS every hosted provider understands:
    model, base_url, api_key (else the vendor's environment variable), timeout (read,
    seconds), connect_timeout, max_retries, backoff (first delay, seconds), backoff_max,
    circuit_threshold, circuit_cooldown, query_max_retries (1), query_timeout (10 s),
    dimensions (where the vendor lets you choose), transport (dotted path of a callable that
    returns an httpx transport: tests)."""

    default_base_url: ClassVar[str]
    api_key_env: ClassVar[str | None] = None
    default_model: ClassVar[str]
    vendor: ClassVar[str]
    max_inputs_per_request: ClassVar[int] = 96
    image_limits: ClassVar[ImageLimits] = ImageLimits()
    # Tests may set this to build every client on a fake transport.
    transport_factory: ClassVar[Callable[[], httpx.BaseTransport] | None] = None

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.model = str(options.get("model") or self.default_model)
        self.base_url = str(options.get("base_url") or self.default_base_url).rstrip("/")
        self.timeout = httpx.Timeout(
            float(options.get("timeout", 60)), connect=float(options.get("connect_timeout", 10))
        )
        self.max_retries = int(options.get("max_retries", 4))
        self.backoff = float(options.get("backoff", 1.0))
        self.backoff_max = float(options.get("backoff_max", 30.0))
        self.breaker = circuit_breaker(
            alias,
            int(options.get("circuit_threshold", 5)),
            float(options.get("circuit_cooldown", 30)),
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

    def split_batches(self, inputs: list[EmbeddingInput]) -> list[list[EmbeddingInput]]:
        """Batches within the vendor's request limits. The default counts inputs; vendors
        with token, pixel or byte budgets override `input_cost` and `max_request_cost`."""
        batches: list[list[EmbeddingInput]] = []
        current: list[EmbeddingInput] = []
        cost = 0
        budget = self.max_request_cost()
        for parts in inputs:
            item_cost = self.input_cost(parts)
            if budget is not None and item_cost > budget:
                raise PermanentProviderError(
                    self.alias,
                    f"one input is larger than the vendor's per-request limit ({item_cost} > {budget})",
                )
            full = len(current) >= min(self.capabilities.max_batch, self.max_inputs_per_request)
            if current and (full or (budget is not None and cost + item_cost > budget)):
                batches.append(current)
                current, cost = [], 0
            current.append(parts)
            cost += item_cost
        if current:
            batches.append(current)
        return batches

    def max_batch_option(self, options: Mapping[str, Any], default: int | None = None) -> int:
        """OPTIONS['max_batch'], validated against the vendor's per-request input limit."""
        limit = self.max_inputs_per_request
        try:
            value = int(options.get("max_batch", default or limit))
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= limit:
            raise ProviderConfigurationError(
                f"EMBEDDING_PROVIDERS[{self.alias!r}]: OPTIONS['max_batch'] must be 1..{limit}"
            )
        return value

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

    def embed_batch(
        self, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> EmbeddingResult:
        prepared = self.prepare(inputs)
        results = [
            self._call(batch, input_type=input_type) for batch in self.split_batches(prepared)
        ]
        if len(results) == 1:
            return results[0]
        import numpy as np

        usage = results[0].usage
        for result in results[1:]:
            usage = usage.add(result.usage)
        return EmbeddingResult(vectors=np.concatenate([r.vectors for r in results]), usage=usage)

    def _call(self, inputs: Sequence[EmbeddingInput], *, input_type: InputType) -> EmbeddingResult:
        if not self.breaker.allow():
            raise TransientProviderError(
                self.alias, f"{self.vendor} is failing; circuit open, calls paused for up to "
                f"{self.breaker.cooldown:.0f}s (last error: {self.breaker.last_error or 'unknown'})"
            )  # fmt: skip
        request = self.request_for(inputs, input_type=input_type)
        # A search is waiting on a query: fewer retries, shorter waits than the worker's.
        is_query = input_type == InputType.QUERY
        max_retries = (
            int(self.options.get("query_max_retries", 1)) if is_query else self.max_retries
        )
        timeout = (
            httpx.Timeout(
                float(self.options.get("query_timeout", 10)), connect=self.timeout.connect
            )
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


def require(options: Mapping[str, Any], name: str, alias: str) -> Any:
    value = options.get(name)
    if value in (None, ""):
        raise ProviderConfigurationError(
            f"EMBEDDING_PROVIDERS[{alias!r}]: OPTIONS[{name!r}] is required"
        )
    return value
