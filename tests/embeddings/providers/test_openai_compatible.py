"""OpenAICompatibleProvider against the in-memory server of vendors/openai_compatible.py:
exact requests, base URL rule, base64 output, images, prefixes, errors, retries, circuit
breaker, batching and image limits."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
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
from embeddings.providers.openai_compatible import OpenAICompatibleProvider, estimate_tokens
from tests.conftest import make_image_bytes
from tests.embeddings.providers.conftest import DOCUMENT, QUERY, FakeVendor, install_vendor
from tests.embeddings.providers.vendors import openai_compatible as fake

URL = "http://gateway.test/v1/embeddings"


@pytest.fixture(autouse=True)
def clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    yield


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> FakeVendor:
    return install_vendor(monkeypatch, fake.handler)


def make_provider(**options: Any) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(
        "gateway",
        {
            "base_url": "http://gateway.test",
            "model": "clip",
            "dimensions": 512,
            "api_key": "test-key",
            "backoff": 0.5,
            **options,
        },
    )


def openai_error(status: int, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
        headers=headers,
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def texts(*values: str) -> list[tuple[TextPart]]:
    return [(TextPart(value),) for value in values]


# --- configuration --------------------------------------------------------------------------


def test_capabilities_follow_the_options() -> None:
    caps = make_provider().capabilities
    assert (caps.text, caps.image, caps.interleaved, caps.input_types) == (
        True,
        False,
        False,
        False,
    )
    assert (caps.dimensions, caps.max_batch) == (512, 64)
    caps = make_provider(images=True, query_prefix="query: ", max_batch=16).capabilities
    assert (caps.image, caps.input_types, caps.max_batch) == (True, True, 16)
    assert make_provider().model_name == "openai_compatible:clip@512d"


@pytest.mark.parametrize("missing", ["base_url", "model", "dimensions"])
def test_base_url_model_and_dimensions_are_required(missing: str) -> None:
    options = {"base_url": "http://gateway.test", "model": "clip", "dimensions": 512}
    del options[missing]
    with pytest.raises(ProviderConfigurationError, match=missing):
        OpenAICompatibleProvider("gateway", options)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"dimensions": "wide"}, "dimensions"),
        ({"dimensions": -3}, "dimensions"),
        ({"max_batch": 4096}, "max_batch"),
        ({"max_batch": 0}, "max_batch"),
        ({"encoding_format": "int8"}, "encoding_format"),
        ({"image_format": "url"}, "image_format"),
        ({"images": "maybe"}, "images"),
        ({"max_request_tokens": "lots"}, "max_request_tokens"),
    ],
)
def test_invalid_options_are_refused(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ProviderConfigurationError, match=match):
        make_provider(**options)


# --- requests on the wire -------------------------------------------------------------------


def test_text_request_is_exactly_the_documented_one(recorder: FakeVendor) -> None:
    result = make_provider().embed(texts("red mug", "blue cup"), input_type=DOCUMENT)

    [request] = recorder.requests
    assert request.method == "POST" and str(request.url) == URL
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "clip",
        "input": ["red mug", "blue cup"],
        "encoding_format": "float",
    }
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (2, 512)
    for row, value in zip(result.vectors, ["red mug", "blue cup"], strict=True):
        expected = fake.expected_vector(TextPart(value), dimensions=512, input_type=None)
        np.testing.assert_allclose(row, expected, rtol=1e-6)
    usage = result.usage
    expected_tokens = fake.tokens("red mug") + fake.tokens("blue cup")
    assert (usage.requests, usage.inputs, usage.text_tokens, usage.images) == (
        1,
        2,
        expected_tokens,
        0,
    )


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("http://gateway.test", URL),
        ("http://gateway.test/", URL),
        ("http://gateway.test/v1", URL),
        ("http://gateway.test/v1/", URL),
        ("https://gw.test/openai/v1", "https://gw.test/openai/v1/embeddings"),
        ("https://gw.test/api", "https://gw.test/api/v1/embeddings"),
    ],
)
def test_base_url_with_or_without_v1(base_url: str, url: str) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        vector = [0.1] * 512
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": vector}], "usage": {}})

    provider = make_provider(base_url=base_url)
    provider._client = httpx.Client(
        base_url=provider.base_url, transport=httpx.MockTransport(answer)
    )
    provider.embed(texts("mug"), input_type=DOCUMENT)
    assert seen == [url]


def test_dimensions_are_sent_only_when_asked(recorder: FakeVendor) -> None:
    provider = make_provider(model="text-embedding-3-small", dimensions=256, send_dimensions=True)
    result = provider.embed(texts("mug"), input_type=DOCUMENT)
    assert recorder.bodies()[0] == {
        "model": "text-embedding-3-small",
        "input": ["mug"],
        "encoding_format": "float",
        "dimensions": 256,
    }
    assert result.vectors.shape == (1, 256)
    assert provider.model_name == "openai_compatible:text-embedding-3-small@256d"


def test_base64_output_is_decoded(recorder: FakeVendor) -> None:
    result = make_provider(encoding_format="base64").embed(texts("mug"), input_type=DOCUMENT)
    assert recorder.bodies()[0]["encoding_format"] == "base64"
    expected = fake.expected_vector(TextPart("mug"), dimensions=512, input_type=None)
    np.testing.assert_array_equal(result.vectors[0], expected)


def test_images_are_refused_unless_enabled(recorder: FakeVendor) -> None:
    png = make_image_bytes("PNG", size=(8, 8))
    with pytest.raises(PermanentProviderError, match="does not embed images"):
        make_provider().embed([(ImagePart(png, "image/png"),)], input_type=DOCUMENT)
    assert recorder.requests == []


def test_images_are_sent_as_raw_base64_strings(recorder: FakeVendor) -> None:
    png = make_image_bytes("PNG", size=(30, 20))
    part = ImagePart(png, "image/png")
    result = make_provider(images=True).embed([(part,)], input_type=DOCUMENT)
    assert recorder.bodies() == [{"model": "clip", "input": [b64(png)], "encoding_format": "float"}]
    np.testing.assert_allclose(
        result.vectors[0], fake.expected_vector(part, dimensions=512, input_type=None), rtol=1e-6
    )
    assert (result.usage.images, result.usage.image_pixels, result.usage.text_tokens) == (1, 600, 0)


def test_images_as_data_urls(recorder: FakeVendor) -> None:
    jpeg = make_image_bytes("JPEG", size=(16, 16))
    part = ImagePart(jpeg, "image/jpeg")
    result = make_provider(images=True, image_format="data_url").embed([(part,)], input_type=QUERY)
    assert recorder.bodies()[0]["input"] == [f"data:image/jpeg;base64,{b64(jpeg)}"]
    np.testing.assert_allclose(
        result.vectors[0], fake.expected_vector(part, dimensions=512, input_type=None), rtol=1e-6
    )


def test_texts_and_images_go_in_separate_requests_and_come_back_in_order(
    recorder: FakeVendor,
) -> None:
    png = make_image_bytes("PNG", size=(8, 8), color=(1, 2, 3))
    image = ImagePart(png, "image/png")
    inputs: list[tuple[TextPart | ImagePart]] = [(TextPart("a"),), (image,), (TextPart("c"),)]
    result = make_provider(images=True).embed(inputs, input_type=DOCUMENT)

    assert [body["input"] for body in recorder.bodies()] == [["a", "c"], [b64(png)]]
    for row, parts in zip(result.vectors, inputs, strict=True):
        expected = fake.expected_vector(parts[0], dimensions=512, input_type=None)
        np.testing.assert_allclose(row, expected, rtol=1e-6)
    assert (result.usage.requests, result.usage.inputs, result.usage.images) == (2, 3, 1)


def test_a_mixed_input_is_fused_from_its_parts(recorder: FakeVendor) -> None:
    png = make_image_bytes("PNG", size=(8, 8))
    text, image = TextPart("mug", weight=0.6), ImagePart(png, "image/png", weight=0.4)
    result = make_provider(images=True).embed([(text, image)], input_type=QUERY)
    parts = np.stack(
        [fake.expected_vector(p, dimensions=512, input_type=None) for p in (text, image)]
    )
    np.testing.assert_allclose(result.vectors[0], fuse(parts, [0.6, 0.4]), rtol=1e-5, atol=1e-6)


def test_query_and_document_prefixes(recorder: FakeVendor) -> None:
    provider = make_provider(
        model="nomic-embed-text",
        dimensions=768,
        query_prefix="search_query: ",
        document_prefix="search_document: ",
    )
    provider.embed(texts("red mug"), input_type=QUERY)
    provider.embed(texts("red mug"), input_type=DOCUMENT)
    assert [body["input"] for body in recorder.bodies()] == [
        ["search_query: red mug"],
        ["search_document: red mug"],
    ]


def test_without_prefixes_queries_and_documents_are_alike(recorder: FakeVendor) -> None:
    provider = make_provider()
    provider.embed(texts("mug"), input_type=QUERY)
    provider.embed(texts("mug"), input_type=DOCUMENT)
    first, second = recorder.bodies()
    assert first == second


def test_api_key_from_the_environment_or_none(
    recorder: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"base_url": "http://gateway.test", "model": "clip", "dimensions": 512}
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-from-env")
    OpenAICompatibleProvider("gateway", options).embed(texts("mug"), input_type=DOCUMENT)
    assert recorder.requests[0].headers["authorization"] == "Bearer test-key-from-env"

    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(PermanentProviderError, match="HTTP 401: You didn't provide an API key"):
        OpenAICompatibleProvider("gateway", options).embed(texts("mug"), input_type=DOCUMENT)
    assert "authorization" not in recorder.requests[1].headers


def test_check_warns_only_for_openai_without_a_key() -> None:
    assert make_provider(api_key=None).check() == []
    [message] = make_provider(api_key=None, base_url="https://api.openai.com/v1").check()
    assert message.id == "embeddings.W030"
    assert make_provider(base_url="https://api.openai.com/v1").check() == []


# --- parsing --------------------------------------------------------------------------------


def test_parse_orders_by_index_and_reads_usage() -> None:
    provider = make_provider(dimensions=3)
    body = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": [0.0, 1.0, 0.0]},
            {"object": "embedding", "index": 0, "embedding": [1.0, 0.0, 0.0]},
        ],
        "model": "clip",
        "usage": {"prompt_tokens": 9, "total_tokens": 9},
    }
    result = provider.parse(body, texts("a", "b"))
    np.testing.assert_array_equal(result.vectors, np.eye(3, dtype=np.float32)[:2])
    assert result.vectors.dtype == np.float32 and result.usage.text_tokens == 9


def test_parse_reads_base64_little_endian_floats() -> None:
    vector = np.array([0.5, -1.25, 3.0], dtype="<f4")
    body = {"data": [{"index": 0, "embedding": b64(vector.tobytes())}]}
    result = make_provider(dimensions=3).parse(body, texts("a"))
    np.testing.assert_array_equal(result.vectors[0], vector)
    assert result.usage.text_tokens == 0  # a server without usage


def test_vectors_of_another_size_are_a_clear_permanent_error(recorder: FakeVendor) -> None:
    with pytest.raises(
        PermanentProviderError, match=r"shape \(512,\).*OPTIONS\['dimensions'\] is 768"
    ):
        make_provider(dimensions=768).embed(texts("mug"), input_type=DOCUMENT)


def test_missing_or_repeated_indices_are_refused() -> None:
    body = {"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]}
    with pytest.raises(ValueError, match="indices"):
        make_provider(dimensions=1).parse(body, texts("a", "b"))


# --- errors, retries, circuit breaker -------------------------------------------------------


def test_the_fake_server_validates_like_openai(recorder: FakeVendor) -> None:
    with pytest.raises(PermanentProviderError, match=r"HTTP 401: Incorrect API key") as raised:
        make_provider(api_key="wrong-key-123456").embed(texts("mug"), input_type=DOCUMENT)
    assert "wrong-key-123456" not in str(raised.value)
    with pytest.raises(PermanentProviderError, match=r"HTTP 400: '\$.input' is invalid"):
        make_provider().embed(texts(""), input_type=DOCUMENT)
    with pytest.raises(PermanentProviderError, match="does not support specifying dimensions"):
        make_provider(send_dimensions=True).embed(texts("mug"), input_type=DOCUMENT)
    with pytest.raises(PermanentProviderError, match=r"HTTP 404: The model `nope` does not exist"):
        make_provider(model="nope").embed(texts("mug"), input_type=DOCUMENT)
    client = make_provider().client()
    headers = {"Authorization": "Bearer test-key"}
    response = client.post(
        "/v1/embeddings", json={"model": "clip", "input": ["a"], "x": 1}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unrecognized request argument supplied: x"


# --- batching and images --------------------------------------------------------------------


def test_batches_split_by_count(recorder: FakeVendor) -> None:
    values = [f"item {n}" for n in range(150)]
    result = make_provider().embed(texts(*values), input_type=DOCUMENT)
    assert [len(body["input"]) for body in recorder.bodies()] == [64, 64, 22]
    assert [value for body in recorder.bodies() for value in body["input"]] == values
    expected = fake.expected_vector(TextPart("item 149"), dimensions=512, input_type=None)
    np.testing.assert_allclose(result.vectors[149], expected, rtol=1e-6)
    assert result.usage.requests == 3 and result.usage.inputs == 150


def test_batches_split_by_token_budget(recorder: FakeVendor) -> None:
    values = ["x" * 90 for _ in range(7)]  # 31 estimated tokens each
    assert estimate_tokens(values[0]) == 31
    make_provider(max_request_tokens=100).embed(texts(*values), input_type=DOCUMENT)
    sizes = [len(body["input"]) for body in recorder.bodies()]
    assert sizes == [3, 3, 1]
    assert all(sum(fake.tokens(v) for v in body["input"]) <= 100 for body in recorder.bodies())


def test_a_text_over_the_token_budget_is_refused_before_sending(recorder: FakeVendor) -> None:
    with pytest.raises(PermanentProviderError, match="per-request limit"):
        make_provider(max_request_tokens=10).embed(texts("x" * 100), input_type=DOCUMENT)
    assert recorder.requests == []


def test_the_default_budget_keeps_requests_under_openais_300k_tokens(recorder: FakeVendor) -> None:
    values = ["word " * 4800] * 200  # 24,000 characters: 8,001 estimated tokens each
    provider = make_provider(model="text-embedding-3-small", dimensions=1536, max_batch=2048)
    provider.embed(texts(*values), input_type=DOCUMENT)
    sizes = [len(body["input"]) for body in recorder.bodies()]
    assert sizes == [37] * 5 + [15]  # 37 x 8,001 = 296,037 <= 300,000
    for body in recorder.bodies():
        assert sum(fake.tokens(v) for v in body["input"]) <= 300_000


def test_image_over_the_alias_limits_is_downscaled_not_dropped(recorder: FakeVendor) -> None:
    big = make_image_bytes("PNG", size=(400, 300))
    part = ImagePart(big, "image/png")
    result = make_provider(images=True, max_image_pixels=10_000).embed(
        [(part,)], input_type=DOCUMENT
    )
    [body] = recorder.bodies()
    sent = base64.b64decode(body["input"][0])
    with Image.open(io.BytesIO(sent)) as image:
        assert image.width * image.height <= 10_000
    assert result.vectors.shape == (1, 512) and result.usage.image_pixels <= 10_000


def test_images_split_by_max_batch(recorder: FakeVendor) -> None:
    pngs = [make_image_bytes("PNG", size=(4, 4), color=(n, n, n)) for n in range(5)]
    inputs = [(ImagePart(png, "image/png"),) for png in pngs]
    result = make_provider(images=True, max_batch=2).embed(inputs, input_type=DOCUMENT)
    assert [body["input"] for body in recorder.bodies()] == [
        [b64(pngs[0]), b64(pngs[1])],
        [b64(pngs[2]), b64(pngs[3])],
        [b64(pngs[4])],
    ]
    assert result.usage.images == 5
