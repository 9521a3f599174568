"""CohereProvider against the in-memory Cohere of vendors/cohere.py: the exact requests it
sends, how it reads answers, and how it behaves when Cohere fails or is too small for a batch."""

from __future__ import annotations

import base64
import io
import json
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
)
from embeddings.providers.cohere import CohereProvider
from tests.conftest import make_image_bytes
from tests.embeddings.providers.conftest import DOCUMENT, QUERY, FakeVendor, install_vendor
from tests.embeddings.providers.sample_images import data_url, decoded, noise_png
from tests.embeddings.providers.vendors import cohere as fake

URL = "https://api.cohere.com/v2/embed"
KEY = "test-key"


@pytest.fixture(autouse=True)
def _no_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COHERE_API_KEY", raising=False)
    monkeypatch.delenv("CO_API_KEY", raising=False)


@pytest.fixture
def cohere(monkeypatch: pytest.MonkeyPatch) -> FakeVendor:
    return install_vendor(monkeypatch, fake.handler)


def provider(**options: Any) -> CohereProvider:
    return CohereProvider("cohere", {"api_key": KEY, **options})


def expected(parts: list[TextPart | ImagePart], input_type: str, dimensions: int = 1536) -> Any:
    return fake.expected_input_vector(parts, dimensions=dimensions, input_type=input_type)


def sent_images(body: dict[str, Any]) -> list[str]:
    return [
        piece["image_url"]["url"]
        for item in body["inputs"]
        for piece in item["content"]
        if piece["type"] == "image_url"
    ]


# --- what goes over the wire -------------------------------------------------------------------


def test_text_document_request_is_exactly_coheres_shape(cohere: FakeVendor) -> None:
    result = provider().embed(
        [[TextPart("red mug")], [TextPart("blue kettle")]], input_type=DOCUMENT
    )

    [request] = cohere.requests
    assert (request.method, str(request.url)) == ("POST", URL)
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "embed-v4.0",
        "input_type": "search_document",
        "inputs": [
            {"content": [{"type": "text", "text": "red mug"}]},
            {"content": [{"type": "text", "text": "blue kettle"}]},
        ],
        "embedding_types": ["float"],
        "output_dimension": 1536,
        "truncate": "END",
    }
    assert result.vectors.dtype == np.float32
    assert result.vectors.shape == (2, 1536)
    np.testing.assert_allclose(
        result.vectors[0], expected([TextPart("red mug")], "search_document"), atol=1e-6
    )
    np.testing.assert_allclose(
        result.vectors[1], expected([TextPart("blue kettle")], "document"), atol=1e-6
    )


def test_image_query_is_sent_as_an_image_url_object_with_a_data_uri(cohere: FakeVendor) -> None:
    png = make_image_bytes("PNG", size=(40, 30))
    webp = make_image_bytes("WEBP", size=(20, 20), color=(0, 90, 200))
    parts = [[ImagePart(png, "image/png")], [ImagePart(webp, "image/webp")]]

    result = provider().embed(parts, input_type=QUERY)

    assert cohere.bodies() == [
        {
            "model": "embed-v4.0",
            "input_type": "search_query",
            "inputs": [
                {"content": [{"type": "image_url", "image_url": {"url": data_url(png)}}]},
                {
                    "content": [
                        {"type": "image_url", "image_url": {"url": data_url(webp, "image/webp")}}
                    ]
                },
            ],
            "embedding_types": ["float"],
            "output_dimension": 1536,
            "truncate": "END",
        }
    ]
    np.testing.assert_allclose(result.vectors[0], expected(list(parts[0]), "query"), atol=1e-6)
    np.testing.assert_allclose(result.vectors[1], expected(list(parts[1]), "query"), atol=1e-6)
    assert result.usage.images == 2
    assert result.usage.image_pixels == 40 * 30 + 20 * 20


def test_text_and_image_interleave_in_one_input_and_one_vector(cohere: FakeVendor) -> None:
    png = make_image_bytes("PNG")
    parts: list[TextPart | ImagePart] = [TextPart("a red mug"), ImagePart(png, "image/png")]
    cohere_provider = provider()

    result = cohere_provider.embed([parts], input_type=DOCUMENT)

    assert cohere_provider.capabilities.interleaved and cohere_provider.capabilities.input_types
    assert cohere.bodies()[0]["inputs"] == [
        {
            "content": [
                {"type": "text", "text": "a red mug"},
                {"type": "image_url", "image_url": {"url": data_url(png)}},
            ]
        }
    ]
    assert result.vectors.shape == (1, 1536)
    np.testing.assert_allclose(result.vectors[0], expected(parts, "document"), atol=1e-6)
    assert result.usage.text_tokens == fake.fake_text_tokens("a red mug")
    assert (result.usage.images, result.usage.image_pixels) == (1, 64 * 48)


def test_query_and_document_embed_differently(cohere: FakeVendor) -> None:
    cohere_provider = provider()
    query = cohere_provider.embed([[TextPart("mug")]], input_type=QUERY).vectors[0]
    document = cohere_provider.embed([[TextPart("mug")]], input_type=DOCUMENT).vectors[0]

    assert [body["input_type"] for body in cohere.bodies()] == ["search_query", "search_document"]
    assert not np.allclose(query, document)


@pytest.mark.parametrize("dimensions", [256, 512, 1024, 1536])
def test_output_dimension_is_the_chosen_one(cohere: FakeVendor, dimensions: int) -> None:
    cohere_provider = provider(dimensions=dimensions)

    vectors = cohere_provider.embed([[TextPart("mug")]], input_type=DOCUMENT).vectors

    assert cohere.bodies()[0]["output_dimension"] == dimensions
    assert vectors.shape == (1, dimensions)
    assert cohere_provider.capabilities.dimensions == dimensions
    assert cohere_provider.model_name == f"cohere:embed-v4.0@{dimensions}d"
    np.testing.assert_allclose(
        vectors[0], expected([TextPart("mug")], "document", dimensions), atol=1e-6
    )


def test_default_model_name_and_truncate_option(cohere: FakeVendor) -> None:
    assert provider().model_name == "cohere:embed-v4.0"
    provider(truncate="none").embed([[TextPart("mug")]], input_type=QUERY)
    assert cohere.bodies()[0]["truncate"] == "NONE"


@pytest.mark.parametrize(
    "options",
    [
        {"model": "embed-english-v3.0"},
        {"dimensions": 768},
        {"dimensions": "wide"},
        {"truncate": "MIDDLE"},
        {"max_batch": 97},
        {"max_batch": 0},
    ],
)
def test_invalid_options_are_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ProviderConfigurationError):
        provider(**options)


def test_declared_limits_are_coheres() -> None:
    assert CohereProvider.max_inputs_per_request == 96
    assert provider().capabilities.max_batch == 96
    assert provider().max_request_cost() == 20_000_000
    limits = CohereProvider.image_limits
    assert limits.max_pixels is None
    assert limits.max_bytes is not None
    # The largest file whose data URI stays within 5 MB.
    assert len(data_url(b"x" * limits.max_bytes, "image/jpeg")) <= 5_000_000
    assert len(data_url(b"x" * (limits.max_bytes + 3), "image/jpeg")) > 5_000_000


def test_the_key_comes_from_cohere_api_key_then_co_api_key(
    cohere: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CO_API_KEY", "sdk-key")
    assert CohereProvider("cohere", {}).check() == []
    CohereProvider("cohere", {}).embed([[TextPart("mug")]], input_type=QUERY)
    monkeypatch.setenv("COHERE_API_KEY", "project-key")
    CohereProvider("cohere", {}).embed([[TextPart("mug")]], input_type=QUERY)
    CohereProvider("cohere", {"api_key": "option-key"}).embed([[TextPart("mug")]], input_type=QUERY)

    assert [request.headers["authorization"] for request in cohere.requests] == [
        "Bearer sdk-key",
        "Bearer project-key",
        "Bearer option-key",
    ]


def test_no_key_is_a_permanent_error_and_a_check_warning(cohere: FakeVendor) -> None:
    without = CohereProvider("cohere", {})
    assert [message.id for message in without.check()] == ["embeddings.W030"]
    with pytest.raises(PermanentProviderError, match="COHERE_API_KEY.*CO_API_KEY"):
        without.embed([[TextPart("mug")]], input_type=QUERY)
    assert cohere.requests == []


# --- reading answers ---------------------------------------------------------------------------


def test_a_real_shaped_answer_is_read_in_order_with_its_usage() -> None:
    body = {
        "id": "5807ee2e-0cda-445a-9ec8-864c60a06606",
        "embeddings": {"float": [[3.0, 4.0], [0.0, 1.0]]},
        "texts": ["a"],
        "images": [{"width": 400, "height": 300, "format": "png", "bit_depth": 24}],
        "meta": {
            "api_version": {"version": "2"},
            "billed_units": {"input_tokens": 2, "images": 1, "image_tokens": 160},
        },
    }
    png = make_image_bytes("PNG", size=(400, 300))

    result = provider().parse(body, [[TextPart("a")], [ImagePart(png, "image/png")]])

    np.testing.assert_array_equal(result.vectors, np.array([[3, 4], [0, 1]], dtype=np.float32))
    assert result.vectors.dtype == np.float32
    usage = result.usage
    assert (usage.inputs, usage.text_tokens, usage.images, usage.image_pixels) == (
        2,
        2,
        1,
        120_000,
    )


def test_an_answer_with_missing_embeddings_is_a_permanent_error(cohere: FakeVendor) -> None:
    cohere.answer(
        httpx.Response(200, json={"id": "x", "embeddings": {"float": [[1.0] * 1536]}, "meta": {}})
    )
    with pytest.raises(PermanentProviderError, match="unexpected shape"):
        provider().embed([[TextPart("a")], [TextPart("b")]], input_type=DOCUMENT)


# --- batches within Cohere's limits ------------------------------------------------------------


def test_more_than_96_inputs_go_in_several_requests(cohere: FakeVendor) -> None:
    texts = [[TextPart(f"item {i}")] for i in range(97)]

    result = provider().embed(texts, input_type=DOCUMENT)

    assert [len(body["inputs"]) for body in cohere.bodies()] == [96, 1]
    assert result.vectors.shape == (97, 1536)
    assert result.usage.requests == 2
    for i in (0, 95, 96):
        np.testing.assert_allclose(
            result.vectors[i], expected([TextPart(f"item {i}")], "document"), atol=1e-6
        )


def test_images_are_split_within_20_mb_of_data_uris_per_request(cohere: FakeVendor) -> None:
    photo = noise_png(1000, 1150)  # ~3.45 MB: sent as it is, a ~4.6 MB data URI
    max_bytes = CohereProvider.image_limits.max_bytes
    assert max_bytes is not None and len(photo) <= max_bytes
    inputs: list[list[TextPart | ImagePart]] = [
        [TextPart(f"photo {i}"), ImagePart(photo, "image/png")] for i in range(5)
    ]

    result = provider().embed(inputs, input_type=DOCUMENT)

    bodies = cohere.bodies()
    assert [len(body["inputs"]) for body in bodies] == [4, 1]
    for body in bodies:
        assert sum(len(uri) for uri in sent_images(body)) <= 20_000_000
        assert all(decoded(uri) == photo for uri in sent_images(body))
    assert result.vectors.shape == (5, 1536)
    np.testing.assert_allclose(result.vectors[4], expected(list(inputs[4]), "document"), atol=1e-6)


def test_an_image_over_5_mb_is_reencoded_smaller_not_dropped(cohere: FakeVendor) -> None:
    photo = noise_png(1200, 1200)  # ~4.3 MB as PNG: its data URI would pass 5 MB
    assert len(data_url(photo)) > 5_000_000

    result = provider().embed(
        [[TextPart("poster"), ImagePart(photo, "image/png")]], input_type=DOCUMENT
    )

    [uri] = sent_images(cohere.bodies()[0])
    assert uri.startswith("data:image/jpeg;base64,")
    assert len(uri) <= 5_000_000
    assert Image.open(io.BytesIO(decoded(uri))).size[0] > 0
    assert result.vectors.shape == (1, 1536)


# --- the fake holds to the documented shape ----------------------------------------------------


def call_fake(body: dict[str, Any]) -> httpx.Response:
    request = httpx.Request("POST", URL, json=body, headers={"Authorization": f"Bearer {KEY}"})
    return fake.handler(request)


TEXT_INPUT = [{"content": [{"type": "text", "text": "a"}]}]


@pytest.mark.parametrize(
    "body",
    [
        {"model": "embed-v4.0", "input_type": "search_query", "inputs": TEXT_INPUT, "dims": 2},
        {"model": "embed-v4.0", "inputs": TEXT_INPUT},
        {"model": "embed-v4.0", "input_type": "query", "inputs": TEXT_INPUT},
        {"model": "embed-v4.0", "input_type": "search_query", "inputs": TEXT_INPUT * 97},
        {
            "model": "embed-v4.0",
            "input_type": "search_query",
            "inputs": TEXT_INPUT,
            "output_dimension": 768,
        },
        {
            "model": "embed-v4.0",
            "input_type": "search_query",
            "inputs": [{"content": [{"type": "image_url", "image_url": "data:image/png;base64,"}]}],
        },
        {
            "model": "embed-v4.0",
            "input_type": "search_query",
            "inputs": TEXT_INPUT,
            "texts": ["a"],
        },
    ],
    ids=[
        "unknown-field",
        "no-input-type",
        "bad-input-type",
        "too-many",
        "bad-dimension",
        "image-url-string",
        "texts-and-inputs",
    ],
)
def test_the_fake_answers_400_to_what_cohere_refuses(body: dict[str, Any]) -> None:
    response = call_fake(body)
    assert response.status_code == 400
    assert set(response.json()) == {"id", "message"}


def test_the_fake_answers_base64_as_little_endian_float32() -> None:
    response = call_fake(
        {
            "model": "embed-v4.0",
            "input_type": "search_query",
            "texts": ["a"],
            "embedding_types": ["float", "base64"],
            "output_dimension": 256,
        }
    )
    assert response.status_code == 200
    embeddings = response.json()["embeddings"]
    from_base64 = np.frombuffer(base64.b64decode(embeddings["base64"][0]), dtype="<f4")
    np.testing.assert_allclose(from_base64, embeddings["float"][0], atol=1e-7)
    np.testing.assert_allclose(from_base64, expected([TextPart("a")], "query", 256), atol=1e-6)
