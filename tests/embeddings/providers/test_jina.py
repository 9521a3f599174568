"""JinaProvider against the in-memory Jina of tests/embeddings/providers/vendors/jina.py:
the exact requests, the answers it reads, and the shared HTTP behaviour (retries, errors,
circuit breaker, batching, image limits) as they apply to Jina."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from embeddings.providers.base import (
    ImagePart,
    InputType,
    PermanentProviderError,
    ProviderConfigurationError,
    TextPart,
    TransientProviderError,
    fuse,
)
from embeddings.providers.http import HttpProvider, reset_circuit_breakers
from embeddings.providers.jina import JinaProvider
from tests.conftest import make_image_bytes
from tests.embeddings.providers.vendors import jina as vendor

DOCUMENT, QUERY = InputType.DOCUMENT, InputType.QUERY
KEY = "test-key-jina-123"
Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response] | None


class Script:
    """The fake Jina behind a script: each request takes the next step (a response, an
    exception to raise, or None for the fake's own answer), then `then` for the rest."""

    def __init__(self, steps: tuple[Step, ...], then: Step) -> None:
        self.requests: list[httpx.Request] = []
        self.steps = list(steps)
        self.then = then

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else self.then
        if step is None:
            return vendor.handler(request)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    reset_circuit_breakers()
    yield
    reset_circuit_breakers()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr("embeddings.providers.http.time.sleep", waits.append)
    return waits


@pytest.fixture
def jina(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Script]:
    """Put a scripted fake Jina behind every client built from now on."""

    def install(*steps: Step, then: Step = None) -> Script:
        script = Script(steps, then)
        monkeypatch.setattr(HttpProvider, "transport_factory", lambda: httpx.MockTransport(script))
        return script

    return install


def provider(**options: Any) -> JinaProvider:
    return JinaProvider("jina-test", {"api_key": KEY, **options})


def png(size: tuple[int, int] = (48, 32), color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    return make_image_bytes("PNG", size=size, color=color)


def failure(status: int, message: str = "upstream trouble", **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"detail": f"[RID: r1] {message}"})


def expected(part: TextPart | ImagePart, dims: int = 1024, input_type: str = "document") -> Any:
    return vendor.expected_vector(part, dimensions=dims, input_type=input_type)


# --- requests exactly as Jina documents them -------------------------------------------------


def test_a_text_batch_is_one_documented_request(jina: Callable[..., Script]) -> None:
    script = jina()
    texts = [TextPart("red wool scarf"), TextPart("oak side table")]
    result = provider().embed([[t] for t in texts], input_type=DOCUMENT)

    (request,) = script.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.jina.ai/v1/embeddings"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "jina-clip-v2",
        "input": [{"text": "red wool scarf"}, {"text": "oak side table"}],
        "task": "retrieval.passage",
        "dimensions": 1024,
        "normalized": True,
        "embedding_type": "float",
        "truncate": True,
    }
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (2, 1024)
    for row, text in zip(result.vectors, texts, strict=True):
        assert np.allclose(row, expected(text), atol=1e-6)


def test_queries_ask_for_the_retrieval_query_task(jina: Callable[..., Script]) -> None:
    script = jina()
    result = provider().embed([[TextPart("scarf")]], input_type=QUERY)
    assert script.bodies()[0]["task"] == "retrieval.query"
    assert np.allclose(result.vectors[0], expected(TextPart("scarf"), input_type="query"))
    assert not np.allclose(result.vectors[0], expected(TextPart("scarf")))


def test_images_go_as_raw_base64_next_to_texts_in_one_request(jina: Callable[..., Script]) -> None:
    script = jina()
    image = ImagePart(png(), "image/png")
    parts: list[TextPart | ImagePart] = [TextPart("lamp"), image, TextPart("desk")]
    result = provider().embed([[p] for p in parts], input_type=DOCUMENT)

    (body,) = script.bodies()
    assert body["input"] == [
        {"text": "lamp"},
        {"image": base64.b64encode(image.data).decode()},
        {"text": "desk"},
    ]
    for row, part in zip(result.vectors, parts, strict=True):
        assert np.allclose(row, expected(part), atol=1e-6)
    assert result.usage.images == 1 and result.usage.image_pixels == 48 * 32


def test_a_mixed_input_is_two_parts_fused_into_one_vector(jina: Callable[..., Script]) -> None:
    script = jina()
    text, image = TextPart("green vase", weight=1.0), ImagePart(png(), "image/png", weight=0.5)
    result = provider().embed([[text, image]], input_type=QUERY)

    (body,) = script.bodies()
    assert [list(item) for item in body["input"]] == [["text"], ["image"]]
    want = fuse(
        np.stack([expected(text, input_type="query"), expected(image, input_type="query")]),
        [1.0, 0.5],
    )
    assert result.vectors.shape == (1, 1024) and np.allclose(result.vectors[0], want, atol=1e-6)


def test_matryoshka_dimensions_are_asked_for_and_named(jina: Callable[..., Script]) -> None:
    script = jina()
    jina_256 = provider(dimensions=256)
    result = jina_256.embed([[TextPart("stool")]], input_type=DOCUMENT)
    assert script.bodies()[0]["dimensions"] == 256
    assert jina_256.capabilities.dimensions == 256 and result.vectors.shape == (1, 256)
    assert np.allclose(result.vectors[0], expected(TextPart("stool"), dims=256), atol=1e-6)
    assert jina_256.model_name == "jina:jina-clip-v2@256d"
    assert provider().model_name == "jina:jina-clip-v2"


def test_capabilities() -> None:
    capabilities = provider().capabilities
    assert capabilities.text and capabilities.image and capabilities.input_types
    assert not capabilities.interleaved
    assert capabilities.dimensions == 1024 and capabilities.max_batch == 32


@pytest.mark.parametrize(
    "options",
    [
        {"dimensions": 32},
        {"dimensions": 1536},
        {"dimensions": "512"},
        {"model": "jina-clip-v1"},
        {"embedding_type": "binary"},
        {"max_batch": 0},
    ],
)
def test_invalid_options_are_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ProviderConfigurationError):
        provider(**options)


def test_the_api_key_comes_from_the_environment(
    jina: Callable[..., Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = jina()
    monkeypatch.setenv("JINA_API_KEY", "test-key-from-env")
    JinaProvider("jina-env", {}).embed([[TextPart("a")]], input_type=DOCUMENT)
    assert script.requests[0].headers["authorization"] == "Bearer test-key-from-env"

    monkeypatch.delenv("JINA_API_KEY")
    with pytest.raises(PermanentProviderError, match="JINA_API_KEY"):
        JinaProvider("jina-env", {}).embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 1


# --- answers -----------------------------------------------------------------------------------


def test_base64_embeddings_are_asked_for_and_decoded(jina: Callable[..., Script]) -> None:
    script = jina()
    result = provider(embedding_type="base64", dimensions=128).embed(
        [[TextPart("mug")], [ImagePart(png(), "image/png")]], input_type=DOCUMENT
    )
    assert script.bodies()[0]["embedding_type"] == "base64"
    assert np.allclose(result.vectors[0], expected(TextPart("mug"), dims=128), atol=1e-6)
    assert np.allclose(
        result.vectors[1], expected(ImagePart(png(), "image/png"), dims=128), atol=1e-6
    )


def test_vectors_are_placed_by_their_index_and_usage_is_read() -> None:
    jina = provider(dimensions=64)
    first, second = np.arange(64, dtype=np.float32), -np.ones(64, dtype=np.float32)
    body = {
        "model": "jina-clip-v2",
        "object": "list",
        "usage": {"total_tokens": 4011, "prompt_tokens": 4011},
        "data": [
            {"object": "embedding", "index": 1, "embedding": second.tolist()},
            {
                "object": "embedding",
                "index": 0,
                "embedding": base64.b64encode(first.astype("<f4").tobytes()).decode(),
            },
        ],
    }
    result = jina.parse(body, [(TextPart("a"),), (ImagePart(png(), "image/png"),)])
    assert result.vectors.dtype == np.float32
    assert np.array_equal(result.vectors[0], first) and np.array_equal(result.vectors[1], second)
    assert result.usage.text_tokens == 4011 and result.usage.inputs == 2
    assert result.usage.images == 1 and result.usage.image_pixels == 48 * 32


def test_an_answer_of_the_wrong_shape_is_a_permanent_error(jina: Callable[..., Script]) -> None:
    jina(httpx.Response(200, json={"data": [], "usage": {"total_tokens": 0}}))
    with pytest.raises(PermanentProviderError, match="unexpected shape"):
        provider().embed([[TextPart("a")]], input_type=DOCUMENT)


def test_the_fake_refuses_what_jina_does_not_document() -> None:
    def post(body: dict[str, Any], key: str = KEY) -> httpx.Response:
        return vendor.handler(
            httpx.Request(
                "POST",
                "https://api.jina.ai/v1/embeddings",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
            )
        )

    good = {"model": "jina-clip-v2", "input": [{"text": "a"}]}
    assert post(good).status_code == 200
    assert post(good, key="wrong").status_code == 401
    for bad in (
        {**good, "input_type": "query"},
        {"input": [{"text": "a"}]},
        {**good, "task": "search_query"},
        {**good, "dimensions": 2048},
        {**good, "input": ["a bare string"]},
        {**good, "input": [{"image": "data:image/png;base64,AAAA"}]},
    ):
        response = post(bad)
        assert response.status_code == 400 and response.json()["detail"].startswith("[RID:")


# --- errors, retries and the circuit breaker ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [(400, "Validation error: bad input"), (401, "Invalid API key"), (403, "Insufficient balance")],
)
def test_client_errors_are_permanent_and_not_retried(
    jina: Callable[..., Script], sleeps: list[float], status: int, message: str
) -> None:
    script = jina(then=failure(status, message))
    with pytest.raises(PermanentProviderError) as raised:
        provider().embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 1 and sleeps == []
    text = str(raised.value)
    assert "jina" in text and str(status) in text and message in text and KEY not in text


def test_a_wrong_key_is_refused_by_the_fake_vendor(jina: Callable[..., Script]) -> None:
    script = jina()
    with pytest.raises(PermanentProviderError, match="401.*Invalid API key") as raised:
        JinaProvider("jina-test", {"api_key": "sk-wrong-secret"}).embed(
            [[TextPart("a")]], input_type=DOCUMENT
        )
    assert len(script.requests) == 1 and "sk-wrong-secret" not in str(raised.value)


def test_429_waits_as_long_as_retry_after_says(
    jina: Callable[..., Script], sleeps: list[float]
) -> None:
    script = jina(failure(429, "Rate limit exceeded", **{"Retry-After": "7"}))
    result = provider().embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 2 and sleeps == [7.0]
    assert result.usage.requests == 1
    assert np.allclose(result.vectors[0], expected(TextPart("a")), atol=1e-6)


def test_429_without_retry_after_backs_off_with_jitter(
    jina: Callable[..., Script], sleeps: list[float]
) -> None:
    script = jina(failure(429), failure(429))
    provider(backoff=0.5).embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 3 and len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_a_query_waits_at_most_two_seconds_and_retries_once(
    jina: Callable[..., Script], sleeps: list[float]
) -> None:
    script = jina(then=failure(429, **{"Retry-After": "30"}))
    with pytest.raises(TransientProviderError, match="429"):
        provider().embed([[TextPart("a")]], input_type=QUERY)
    assert len(script.requests) == 2 and sleeps == [2.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_until_they_pass(
    jina: Callable[..., Script], sleeps: list[float], status: int
) -> None:
    script = jina(failure(status), failure(status))
    result = provider().embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 3 and len(sleeps) == 2
    assert np.allclose(result.vectors[0], expected(TextPart("a")), atol=1e-6)


def test_exhausted_retries_are_a_transient_error(
    jina: Callable[..., Script], sleeps: list[float]
) -> None:
    script = jina(then=lambda request: failure(503, "Service Unavailable"))
    with pytest.raises(TransientProviderError, match="jina HTTP 503.*Service Unavailable"):
        provider(max_retries=2).embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 3 and len(sleeps) == 2


def test_timeouts_are_retried_then_a_transient_error(
    jina: Callable[..., Script], sleeps: list[float]
) -> None:
    script = jina(httpx.ReadTimeout("slow"))
    provider().embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 2

    script = jina(then=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientProviderError, match="timed out"):
        provider(max_retries=3).embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 4


def test_the_circuit_opens_fails_fast_and_closes_after_the_cooldown(
    jina: Callable[..., Script], sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr("embeddings.providers.http.time.monotonic", lambda: now[0])
    script = jina(failure(500), failure(500))
    options = {"circuit_threshold": 2, "circuit_cooldown": 30, "max_retries": 0}
    jina_provider = provider(**options)
    for _ in range(2):
        with pytest.raises(TransientProviderError, match="500"):
            jina_provider.embed([[TextPart("a")]], input_type=DOCUMENT)
    with pytest.raises(TransientProviderError, match="circuit open"):
        provider(**options).embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 2  # failed fast: nothing sent

    now[0] += 30
    jina_provider.embed([[TextPart("a")]], input_type=DOCUMENT)  # the half-open trial passes
    jina_provider.embed([[TextPart("b")]], input_type=DOCUMENT)
    assert len(script.requests) == 4 and not jina_provider.breaker.is_open


# --- batching and image limits -----------------------------------------------------------------


def test_batches_follow_max_batch(jina: Callable[..., Script]) -> None:
    script = jina()
    texts = [TextPart(f"item {n}") for n in range(10)]
    result = provider(max_batch=4, dimensions=64).embed([[t] for t in texts], input_type=DOCUMENT)
    assert [len(body["input"]) for body in script.bodies()] == [4, 4, 2]
    assert result.usage.requests == 3 and result.usage.inputs == 10
    for row, text in zip(result.vectors, texts, strict=True):
        assert np.allclose(row, expected(text, dims=64), atol=1e-6)


def test_a_batch_over_the_request_limit_is_split(jina: Callable[..., Script]) -> None:
    script = jina()
    texts = [TextPart(f"t{n}") for n in range(2100)]
    result = provider(dimensions=64, max_batch=5000).embed_batch(
        [(t,) for t in texts], input_type=DOCUMENT
    )
    assert [len(body["input"]) for body in script.bodies()] == [2048, 52]
    assert result.vectors.shape == (2100, 64)
    for n in (0, 2047, 2048, 2099):
        assert np.allclose(result.vectors[n], expected(texts[n], dims=64), atol=1e-6)


def test_a_large_image_is_downscaled_before_sending_never_dropped(
    jina: Callable[..., Script],
) -> None:
    script = jina()
    big = ImagePart(png(size=(1600, 1200)), "image/png")
    small = ImagePart(png(), "image/png")
    result = provider().embed([[big], [small]], input_type=DOCUMENT)

    (body,) = script.bodies()
    sent = [base64.b64decode(item["image"]) for item in body["input"]]
    with Image.open(io.BytesIO(sent[0])) as image:
        assert image.width * image.height <= 512 * 512
        assert image.width / image.height == pytest.approx(4 / 3, rel=0.02)
    assert sent[1] == small.data  # within the limits: sent as it is
    assert result.vectors.shape == (2, 1024)
    assert np.allclose(result.vectors[0], expected(big), atol=1e-6)
