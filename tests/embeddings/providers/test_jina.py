"""JinaProvider against the in-memory Jina of tests/embeddings/providers/vendors/jina.py:
the exact requests, the answers it reads, and the shared HTTP behaviour (retries, errors,
circuit breaker, batching, image limits) as they apply to Jina."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from embeddings.providers.base import (
    ImagePart,
    PermanentProviderError,
    ProviderConfigurationError,
    TextPart,
    fuse,
)
from embeddings.providers.jina import JinaProvider
from tests.embeddings.providers.conftest import DOCUMENT, QUERY, FakeVendor, install_vendor
from tests.embeddings.providers.sample_images import png
from tests.embeddings.providers.vendors import jina as vendor

KEY = "test-key-jina-123"


@pytest.fixture
def jina(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeVendor]:
    """Put the fake Jina behind every client built from now on; calling the
    fixture scripts its answers (`FakeVendor.answer`)."""
    return install_vendor(monkeypatch, vendor.handler).answer


def provider(**options: Any) -> JinaProvider:
    return JinaProvider("jina-test", {"api_key": KEY, **options})


def expected(part: TextPart | ImagePart, dims: int = 1024, input_type: str = "document") -> Any:
    return vendor.expected_vector(part, dimensions=dims, input_type=input_type)


# --- requests exactly as Jina documents them -------------------------------------------------


def test_a_text_batch_is_one_documented_request(jina: Callable[..., FakeVendor]) -> None:
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


def test_queries_ask_for_the_retrieval_query_task(jina: Callable[..., FakeVendor]) -> None:
    script = jina()
    result = provider().embed([[TextPart("scarf")]], input_type=QUERY)
    assert script.bodies()[0]["task"] == "retrieval.query"
    assert np.allclose(result.vectors[0], expected(TextPart("scarf"), input_type="query"))
    assert not np.allclose(result.vectors[0], expected(TextPart("scarf")))


def test_images_go_as_raw_base64_next_to_texts_in_one_request(
    jina: Callable[..., FakeVendor],
) -> None:
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


def test_a_mixed_input_is_two_parts_fused_into_one_vector(jina: Callable[..., FakeVendor]) -> None:
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


def test_matryoshka_dimensions_are_asked_for_and_named(jina: Callable[..., FakeVendor]) -> None:
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


# --- answers -----------------------------------------------------------------------------------


def test_base64_embeddings_are_asked_for_and_decoded(jina: Callable[..., FakeVendor]) -> None:
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


def test_an_answer_of_the_wrong_shape_is_a_permanent_error(jina: Callable[..., FakeVendor]) -> None:
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


# --- batching and image limits -----------------------------------------------------------------


def test_batches_follow_max_batch(jina: Callable[..., FakeVendor]) -> None:
    script = jina()
    texts = [TextPart(f"item {n}") for n in range(10)]
    result = provider(max_batch=4, dimensions=64).embed([[t] for t in texts], input_type=DOCUMENT)
    assert [len(body["input"]) for body in script.bodies()] == [4, 4, 2]
    assert result.usage.requests == 3 and result.usage.inputs == 10
    for row, text in zip(result.vectors, texts, strict=True):
        assert np.allclose(row, expected(text, dims=64), atol=1e-6)


def test_a_batch_over_the_request_limit_is_split(jina: Callable[..., FakeVendor]) -> None:
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
    jina: Callable[..., FakeVendor],
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
