"""The hosted-provider base: the pieces that do not depend on a vendor, and the shared HTTP
behaviour (errors, retries with backoff, timeouts, key redaction, the circuit breaker)
once for each of the six hosted vendors, each on its fake and with its own error bodies."""

from __future__ import annotations

import email.utils
import importlib
import io
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from django.utils.module_loading import import_string
from PIL import Image

from embeddings.providers import http
from embeddings.providers.base import (
    ImagePart,
    PermanentProviderError,
    TextPart,
    TransientProviderError,
)
from embeddings.providers.http import (
    CircuitBreaker,
    HttpProvider,
    ImageLimits,
    fit_image,
    retry_after_seconds,
)
from tests.conftest import HOSTED_TEST_PROVIDERS, make_image_bytes
from tests.embeddings.providers.conftest import DOCUMENT, QUERY, FakeVendor, install_vendor


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert (
        25 <= (retry_after_seconds(httpx.Response(429, headers={"Retry-After": later})) or 0) <= 31
    )
    assert retry_after_seconds(httpx.Response(429)) is None
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None


def test_images_within_limits_are_sent_unchanged() -> None:
    part = ImagePart(make_image_bytes("PNG", size=(40, 30)), "image/png")
    assert fit_image(part, ImageLimits(max_pixels=10_000, max_bytes=1_000_000)) is part


def test_images_over_the_pixel_or_byte_limit_are_downscaled_never_dropped() -> None:
    big = ImagePart(make_image_bytes("PNG", size=(400, 300)), "image/png", weight=0.5)
    fitted = fit_image(big, ImageLimits(max_pixels=10_000))
    with Image.open(io.BytesIO(fitted.data)) as image:
        assert image.width * image.height <= 10_000 and image.width / image.height == pytest.approx(
            4 / 3, 0.05
        )
    assert fitted.weight == 0.5 and fitted.content_type == "image/jpeg"
    noisy = Image.effect_noise((600, 600), 100).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    part = ImagePart(buffer.getvalue(), "image/png")
    small = fit_image(part, ImageLimits(max_bytes=40_000))
    assert len(small.data) <= 40_000
    with pytest.raises(PermanentProviderError):
        fit_image(part, ImageLimits(max_bytes=10))


def test_unaccepted_formats_are_re_encoded() -> None:
    gif = ImagePart(make_image_bytes("GIF"), "image/gif")
    fitted = fit_image(gif, ImageLimits(formats=frozenset({"image/jpeg", "image/png"})))
    assert fitted.content_type in {"image/jpeg", "image/png"}


def test_circuit_breaker_opens_fails_fast_and_half_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(http.time, "monotonic", lambda: now[0])
    breaker = CircuitBreaker(threshold=2, cooldown=10)
    breaker.record(ok=False)
    assert breaker.allow() and not breaker.is_open
    breaker.record(ok=False)
    assert breaker.is_open and not breaker.allow()
    now[0] += 10
    assert breaker.allow()  # one trial call
    assert not breaker.allow()
    breaker.record(ok=True)
    assert not breaker.is_open and breaker.allow()


# --- the shared HTTP behaviour, for every hosted vendor ----------------------------------------

MUG = [[TextPart("mug")]]
# Each vendor's documented error body around a message.
ERROR_BODIES: dict[str, Callable[[int, str], Any]] = {
    "voyage": lambda status, message: {"detail": message},
    "cohere": lambda status, message: {"message": message, "id": "req-1"},
    "jina": lambda status, message: {"detail": f"[RID: r1] {message}"},
    "nomic": lambda status, message: {"detail": message},
    "vertex": lambda status, message: {
        "error": {"code": status, "message": message, "status": "FAILED_PRECONDITION"}
    },
    "openai_compatible": lambda status, message: {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    },
}


class Hosted:
    """One hosted vendor under test: its provider (options as the test worker's, without the
    transport option so that the recording fake vendor is used) and its error bodies."""

    def __init__(self, name: str, vendor: FakeVendor) -> None:
        self.name = name
        self.vendor = vendor
        config = HOSTED_TEST_PROVIDERS[name]
        self.backend = import_string(config["BACKEND"])
        self.options = {k: v for k, v in config["OPTIONS"].items() if k != "transport"}

    def provider(self, **options: Any) -> HttpProvider:
        provider: HttpProvider = self.backend(self.name, {**self.options, **options})
        return provider

    def failure(self, status: int, message: str = "upstream trouble", **headers: str) -> Any:
        return httpx.Response(
            status, headers=headers, json=ERROR_BODIES[self.name](status, message)
        )

    def fake_vectors(self) -> Any:
        """What the fake vendor answers for MUG when nothing fails."""
        return self.provider().embed(MUG, input_type=DOCUMENT).vectors


@pytest.fixture(params=sorted(ERROR_BODIES))
def hosted(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Hosted:
    handler = importlib.import_module(f"tests.embeddings.providers.vendors.{request.param}").handler
    return Hosted(request.param, install_vendor(monkeypatch, handler))


def test_every_hosted_vendor_is_covered() -> None:
    assert set(ERROR_BODIES) == set(HOSTED_TEST_PROVIDERS)


@pytest.mark.parametrize("status", [400, 401, 403])
def test_client_errors_are_permanent_not_retried_and_keys_redacted(
    hosted: Hosted, waits: list[float], status: int
) -> None:
    provider = hosted.provider()
    key = provider.auth_headers()["Authorization"].split(" ", 1)[1]
    hosted.vendor.answer(then=hosted.failure(status, f"vendor says no ({status}); key {key}"))

    with pytest.raises(PermanentProviderError) as caught:
        provider.embed(MUG, input_type=DOCUMENT)

    message = str(caught.value)
    assert len(hosted.vendor.requests) == 1 and waits == []
    assert f"{provider.vendor} HTTP {status}: " in message
    assert f"vendor says no ({status}); key [redacted]" in message
    assert key not in message


def test_429_waits_as_long_as_retry_after_says(hosted: Hosted, waits: list[float]) -> None:
    hosted.vendor.answer(hosted.failure(429, "slow down", **{"Retry-After": "3"}))

    result = hosted.provider().embed(MUG, input_type=DOCUMENT)

    assert waits == [3.0] and len(hosted.vendor.requests) == 2
    assert result.usage.requests == 1
    np.testing.assert_allclose(result.vectors, hosted.fake_vectors(), atol=1e-6)


def test_429_without_retry_after_backs_off_with_jitter(hosted: Hosted, waits: list[float]) -> None:
    hosted.vendor.answer(hosted.failure(429), hosted.failure(429))

    hosted.provider(backoff=0.5).embed(MUG, input_type=DOCUMENT)

    assert len(hosted.vendor.requests) == 3 and len(waits) == 2
    assert 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 1.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_until_they_pass(
    hosted: Hosted, waits: list[float], status: int
) -> None:
    hosted.vendor.answer(hosted.failure(status), hosted.failure(status))

    result = hosted.provider().embed(MUG, input_type=DOCUMENT)

    assert len(hosted.vendor.requests) == 3 and len(waits) == 2
    np.testing.assert_allclose(result.vectors, hosted.fake_vectors(), atol=1e-6)


def test_exhausted_retries_are_a_transient_error(hosted: Hosted, waits: list[float]) -> None:
    hosted.vendor.answer(then=hosted.failure(503, "overloaded"))
    provider = hosted.provider(max_retries=2)

    with pytest.raises(TransientProviderError, match=f"{provider.vendor} HTTP 503: .*overloaded"):
        provider.embed(MUG, input_type=DOCUMENT)

    assert len(hosted.vendor.requests) == 3 and len(waits) == 2


def test_a_query_is_retried_once_and_waits_at_most_two_seconds(
    hosted: Hosted, waits: list[float]
) -> None:
    hosted.vendor.answer(then=hosted.failure(429, "slow down", **{"Retry-After": "30"}))

    with pytest.raises(TransientProviderError, match="429"):
        hosted.provider().embed(MUG, input_type=QUERY)

    assert len(hosted.vendor.requests) == 2 and waits == [2.0]


def test_timeouts_are_retried_then_transient(hosted: Hosted, waits: list[float]) -> None:
    hosted.vendor.answer(httpx.ReadTimeout("no answer"))
    assert hosted.provider().embed(MUG, input_type=DOCUMENT).vectors.shape[0] == 1
    assert len(hosted.vendor.requests) == 2

    hosted.vendor.requests.clear()
    hosted.vendor.answer(then=httpx.ReadTimeout("no answer"))
    with pytest.raises(TransientProviderError, match="timed out"):
        hosted.provider(max_retries=3).embed(MUG, input_type=DOCUMENT)
    assert len(hosted.vendor.requests) == 4


def test_the_circuit_opens_fails_fast_and_closes_after_the_cooldown(
    hosted: Hosted, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(http.time, "monotonic", lambda: now[0])
    hosted.vendor.answer(hosted.failure(500), hosted.failure(500))
    options = {"circuit_threshold": 2, "circuit_cooldown": 30, "max_retries": 0}
    provider = hosted.provider(**options)
    for _ in range(2):
        with pytest.raises(TransientProviderError, match="HTTP 500"):
            provider.embed(MUG, input_type=DOCUMENT)

    with pytest.raises(TransientProviderError, match="circuit open.*HTTP 500"):
        hosted.provider(**options).embed(MUG, input_type=DOCUMENT)
    assert len(hosted.vendor.requests) == 2  # failed fast: nothing sent

    now[0] += 30
    provider.embed(MUG, input_type=DOCUMENT)  # the half-open trial passes
    provider.embed([[TextPart("kettle")]], input_type=DOCUMENT)
    assert len(hosted.vendor.requests) == 4 and not provider.breaker.is_open


@pytest.mark.parametrize("hosted", ["jina", "nomic", "voyage"], indirect=True)
def test_the_api_key_comes_from_the_vendors_environment_variable(
    hosted: Hosted, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = hosted.backend.api_key_env
    assert env == f"{hosted.name.upper()}_API_KEY"
    options = {k: v for k, v in hosted.options.items() if k != "api_key"}
    monkeypatch.setenv(env, "test-key-from-env")
    hosted.backend(hosted.name, options).embed(MUG, input_type=DOCUMENT)
    assert hosted.vendor.requests[0].headers["authorization"] == "Bearer test-key-from-env"

    monkeypatch.delenv(env)
    without = hosted.backend(hosted.name, options)
    assert [message.id for message in without.check()] == ["embeddings.W030"]
    with pytest.raises(PermanentProviderError, match=env):
        without.embed(MUG, input_type=DOCUMENT)
    assert len(hosted.vendor.requests) == 1


# Each fake's answer to a key it does not know, as its vendor words it.
BAD_KEYS = {
    "voyage": ("invalid-key-42", "voyage HTTP 401: Provided API key is invalid."),
    "cohere": ("invalid-key-42", "cohere HTTP 401: invalid api token"),
    "jina": ("sk-wrong-secret", "jina HTTP 401: [RID: fake0000] Invalid API key"),
    "nomic": ("nk-wrong-secret", "nomic HTTP 401: Invalid API key"),
}


@pytest.mark.parametrize("hosted", sorted(BAD_KEYS), indirect=True)
def test_the_fake_vendor_refuses_a_wrong_key_as_its_vendor_does(hosted: Hosted) -> None:
    key, answer = BAD_KEYS[hosted.name]
    with pytest.raises(PermanentProviderError) as caught:
        hosted.provider(api_key=key).embed(MUG, input_type=DOCUMENT)
    assert answer in str(caught.value) and key not in str(caught.value)
    assert len(hosted.vendor.requests) == 1


def test_the_transport_option_takes_the_fake_by_dotted_path(hosted: Hosted) -> None:
    options = HOSTED_TEST_PROVIDERS[hosted.name]["OPTIONS"]
    provider = hosted.backend(hosted.name, options)
    vectors = provider.embed([[TextPart("mug")]], input_type=QUERY).vectors
    fake = importlib.import_module(options["transport"].rpartition(".")[0])
    want = fake.expected_vector(
        TextPart("mug"), dimensions=provider.capabilities.dimensions, input_type="query"
    )
    np.testing.assert_allclose(vectors[0], want, atol=1e-6)
    assert hosted.vendor.requests == []  # the option's transport, not the installed one
