"""The pieces of the hosted-provider base that do not depend on a vendor."""

from __future__ import annotations

import email.utils
import io
import time

import httpx
import pytest
from PIL import Image

from embeddings.providers.base import ImagePart, PermanentProviderError
from embeddings.providers.http import CircuitBreaker, ImageLimits, fit_image, retry_after_seconds
from tests.conftest import make_image_bytes


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
    monkeypatch.setattr("embeddings.providers.http.time.monotonic", lambda: now[0])
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
