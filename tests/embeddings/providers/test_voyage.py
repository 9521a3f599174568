"""VoyageProvider against the in-memory Voyage of vendors/voyage.py: the exact requests it
sends, how it reads answers, and how it behaves when Voyage fails or is too small for a batch."""

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
from embeddings.providers.http import ImageLimits
from embeddings.providers.voyage import VoyageProvider
from tests.conftest import make_image_bytes
from tests.embeddings.providers.conftest import DOCUMENT, QUERY, FakeVendor, install_vendor
from tests.embeddings.providers.sample_images import data_url, decoded, noise_png
from tests.embeddings.providers.vendors import voyage as fake

URL = "https://api.voyageai.com/v1/multimodalembeddings"
KEY = "test-key"


@pytest.fixture
def voyage(monkeypatch: pytest.MonkeyPatch) -> FakeVendor:
    return install_vendor(monkeypatch, fake.handler)


def provider(**options: Any) -> VoyageProvider:
    return VoyageProvider("voyage", {"api_key": KEY, **options})


def expected(
    parts: list[TextPart | ImagePart], input_type: str | None, dimensions: int = 1024
) -> Any:
    return fake.expected_input_vector(parts, dimensions=dimensions, input_type=input_type)


# --- what goes over the wire -------------------------------------------------------------------


def test_text_document_request_is_exactly_voyages_shape(voyage: FakeVendor) -> None:
    result = provider().embed(
        [[TextPart("red mug")], [TextPart("blue kettle")]], input_type=DOCUMENT
    )

    [request] = voyage.requests
    assert (request.method, str(request.url)) == ("POST", URL)
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "inputs": [
            {"content": [{"type": "text", "text": "red mug"}]},
            {"content": [{"type": "text", "text": "blue kettle"}]},
        ],
        "model": "voyage-multimodal-3.5",
        "input_type": "document",
        "truncation": True,
        "output_encoding": "base64",
    }
    assert result.vectors.dtype == np.float32
    assert result.vectors.shape == (2, 1024)
    np.testing.assert_allclose(
        result.vectors[0], expected([TextPart("red mug")], "document"), atol=1e-6
    )
    np.testing.assert_allclose(
        result.vectors[1], expected([TextPart("blue kettle")], "document"), atol=1e-6
    )


def test_image_query_is_sent_as_a_base64_data_url(voyage: FakeVendor) -> None:
    png = make_image_bytes("PNG", size=(40, 30))
    jpeg = make_image_bytes("JPEG", size=(20, 20), color=(0, 90, 200))
    parts = [[ImagePart(png, "image/png")], [ImagePart(jpeg, "image/jpeg")]]

    result = provider().embed(parts, input_type=QUERY)

    assert voyage.bodies() == [
        {
            "inputs": [
                {"content": [{"type": "image_base64", "image_base64": data_url(png)}]},
                {
                    "content": [
                        {"type": "image_base64", "image_base64": data_url(jpeg, "image/jpeg")}
                    ]
                },
            ],
            "model": "voyage-multimodal-3.5",
            "input_type": "query",
            "truncation": True,
            "output_encoding": "base64",
        }
    ]
    np.testing.assert_allclose(result.vectors[0], expected(list(parts[0]), "query"), atol=1e-6)
    np.testing.assert_allclose(result.vectors[1], expected(list(parts[1]), "query"), atol=1e-6)


def test_text_and_image_interleave_in_one_input_and_one_vector(voyage: FakeVendor) -> None:
    png = make_image_bytes("PNG")
    parts: list[TextPart | ImagePart] = [TextPart("a red mug"), ImagePart(png, "image/png")]
    voyage_provider = provider()

    result = voyage_provider.embed([parts], input_type=DOCUMENT)

    assert voyage_provider.capabilities.interleaved and voyage_provider.capabilities.input_types
    assert voyage.bodies()[0]["inputs"] == [
        {
            "content": [
                {"type": "text", "text": "a red mug"},
                {"type": "image_base64", "image_base64": data_url(png)},
            ]
        }
    ]
    assert result.vectors.shape == (1, 1024)
    np.testing.assert_allclose(result.vectors[0], expected(parts, "document"), atol=1e-6)
    assert result.usage.images == 1
    assert result.usage.image_pixels == 64 * 48
    assert result.usage.text_tokens == fake.fake_text_tokens("a red mug")


def test_query_and_document_embed_differently(voyage: FakeVendor) -> None:
    voyage_provider = provider()
    query = voyage_provider.embed([[TextPart("mug")]], input_type=QUERY).vectors[0]
    document = voyage_provider.embed([[TextPart("mug")]], input_type=DOCUMENT).vectors[0]

    assert [body["input_type"] for body in voyage.bodies()] == ["query", "document"]
    assert not np.allclose(query, document)


def test_output_dimension_is_sent_when_chosen(voyage: FakeVendor) -> None:
    voyage_provider = provider(dimensions=512)

    vectors = voyage_provider.embed([[TextPart("mug")]], input_type=DOCUMENT).vectors

    assert voyage.bodies()[0]["output_dimension"] == 512
    assert vectors.shape == (1, 512)
    assert voyage_provider.capabilities.dimensions == 512
    assert voyage_provider.model_name == "voyage:voyage-multimodal-3.5@512d"
    np.testing.assert_allclose(vectors[0], expected([TextPart("mug")], "document", 512), atol=1e-6)


def test_voyage_multimodal_3_has_1024_dimensions_and_is_not_sent_the_parameter(
    voyage: FakeVendor,
) -> None:
    voyage_provider = provider(model="voyage-multimodal-3", dimensions=1024, truncation=False)

    voyage_provider.embed([[TextPart("mug")]], input_type=QUERY)

    body = voyage.bodies()[0]
    assert (body["model"], body["truncation"]) == ("voyage-multimodal-3", False)
    assert "output_dimension" not in body
    assert voyage_provider.capabilities.dimensions == 1024
    assert provider().model_name == "voyage:voyage-multimodal-3.5"


@pytest.mark.parametrize(
    "options",
    [
        {"model": "voyage-3.5"},
        {"dimensions": 768},
        {"dimensions": "many"},
        {"model": "voyage-multimodal-3", "dimensions": 512},
        {"truncation": "yes"},
        {"max_batch": 1001},
        {"max_batch": 0},
    ],
)
def test_invalid_options_are_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ProviderConfigurationError):
        provider(**options)


def test_declared_limits_are_voyages() -> None:
    assert VoyageProvider.max_inputs_per_request == 1000
    assert VoyageProvider.image_limits == ImageLimits(max_pixels=16_000_000, max_bytes=20_000_000)
    assert provider().max_request_cost() == 320_000
    assert provider().capabilities.max_batch == 1000


# --- reading answers ---------------------------------------------------------------------------


def test_base64_embeddings_are_little_endian_float32_in_index_order() -> None:
    first = np.array([3.0, 4.0, 0.0, 0.0], dtype="<f4")
    second = np.array([0.0, 0.0, 1.0, 0.0], dtype="<f4")
    body = {
        "object": "list",
        "data": [  # out of order on purpose: `index` decides
            {
                "object": "embedding",
                "embedding": base64.b64encode(second.tobytes()).decode(),
                "index": 1,
            },
            {
                "object": "embedding",
                "embedding": base64.b64encode(first.tobytes()).decode(),
                "index": 0,
            },
        ],
        "model": "voyage-multimodal-3.5",
        "usage": {"text_tokens": 7, "image_pixels": 3072, "total_tokens": 12},
    }

    result = provider().parse(body, [[TextPart("a")], [TextPart("b")]])

    np.testing.assert_array_equal(result.vectors, np.stack([first, second]))
    assert result.vectors.dtype == np.float32
    assert (result.usage.inputs, result.usage.text_tokens, result.usage.image_pixels) == (
        2,
        7,
        3072,
    )


def test_float_list_embeddings_are_read_too() -> None:
    body = {
        "object": "list",
        "data": [{"object": "embedding", "embedding": [0.5, 0.25], "index": 0}],
        "model": "voyage-multimodal-3.5",
        "usage": {"text_tokens": 1, "image_pixels": 0, "total_tokens": 1},
    }
    result = provider().parse(body, [[TextPart("a")]])
    np.testing.assert_array_equal(result.vectors, np.array([[0.5, 0.25]], dtype=np.float32))


def test_an_answer_with_missing_embeddings_is_a_permanent_error(voyage: FakeVendor) -> None:
    voyage.answer(
        httpx.Response(
            200,
            json={
                "object": "list",
                "data": [{"object": "embedding", "embedding": [1.0] * 1024, "index": 0}],
                "model": "voyage-multimodal-3.5",
                "usage": {"text_tokens": 2, "image_pixels": 0, "total_tokens": 2},
            },
        )
    )
    with pytest.raises(PermanentProviderError, match="unexpected shape"):
        provider().embed([[TextPart("a")], [TextPart("b")]], input_type=DOCUMENT)


def test_usage_adds_up_over_requests(voyage: FakeVendor) -> None:
    texts = [[TextPart(f"item {i}")] for i in range(3)]
    usage = provider(max_batch=2).embed(texts, input_type=DOCUMENT).usage
    assert (usage.requests, usage.inputs) == (2, 3)
    assert usage.text_tokens == sum(fake.fake_text_tokens(f"item {i}") for i in range(3))


# --- batches within Voyage's limits -----------------------------------------------------------


def test_more_than_1000_inputs_go_in_several_requests(voyage: FakeVendor) -> None:
    texts = [[TextPart(f"item {i}")] for i in range(1001)]

    result = provider().embed(texts, input_type=DOCUMENT)

    assert [len(body["inputs"]) for body in voyage.bodies()] == [1000, 1]
    assert result.vectors.shape == (1001, 1024)
    for i in (0, 999, 1000):
        np.testing.assert_allclose(
            result.vectors[i], expected([TextPart(f"item {i}")], "document"), atol=1e-6
        )


def test_long_texts_are_split_within_320k_tokens(voyage: FakeVendor) -> None:
    texts = [[TextPart(f"{i:02d}" + "x" * 89_998)] for i in range(11)]
    voyage_provider = provider()

    result = voyage_provider.embed(texts, input_type=DOCUMENT)

    sent = [
        [content["text"][:2] for item in body["inputs"] for content in item["content"]]
        for body in voyage.bodies()
    ]
    assert sent == [[f"{i:02d}" for i in range(10)], ["10"]]
    for body in voyage.bodies():
        estimate = sum(
            voyage_provider.input_cost([TextPart(item["content"][0]["text"])])
            for item in body["inputs"]
        )
        assert estimate <= 320_000
    assert result.vectors.shape == (11, 1024)


def test_large_images_are_split_within_320k_tokens_at_560_pixels_a_token(
    voyage: FakeVendor,
) -> None:
    big = make_image_bytes("PNG", size=(2000, 2000))  # 4,000,000 pixels = 7,143 tokens
    inputs = [[ImagePart(big, "image/png")] for _ in range(45)]

    result = provider().embed(inputs, input_type=DOCUMENT)

    assert [len(body["inputs"]) for body in voyage.bodies()] == [44, 1]
    assert result.vectors.shape == (45, 1024)
    assert result.usage.image_pixels == 45 * 4_000_000


def test_an_image_over_16_million_pixels_is_downscaled_not_dropped(voyage: FakeVendor) -> None:
    huge = make_image_bytes("PNG", size=(4001, 4000))

    result = provider().embed(
        [[TextPart("poster"), ImagePart(huge, "image/png")]], input_type=DOCUMENT
    )

    [content] = [item["content"] for item in voyage.bodies()[0]["inputs"]]
    assert content[0] == {"type": "text", "text": "poster"}
    sent = Image.open(io.BytesIO(decoded(content[1]["image_base64"])))
    assert sent.width * sent.height <= 16_000_000
    assert sent.width * sent.height > 15_000_000
    assert result.vectors.shape == (1, 1024)


def test_an_image_over_the_byte_limit_is_reencoded_smaller(
    voyage: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limit is 20 MB (asserted above); a small one keeps the test quick.
    monkeypatch.setattr(VoyageProvider, "image_limits", ImageLimits(max_bytes=60_000))
    photo = noise_png(200, 200)
    assert len(photo) > 60_000

    result = provider().embed([[ImagePart(photo, "image/png")]], input_type=DOCUMENT)

    url = voyage.bodies()[0]["inputs"][0]["content"][0]["image_base64"]
    assert url.startswith("data:image/jpeg;base64,")
    assert len(decoded(url)) <= 60_000
    assert result.vectors.shape == (1, 1024)


# --- the fake holds to the documented shape ----------------------------------------------------


def call_fake(body: dict[str, Any]) -> httpx.Response:
    request = httpx.Request("POST", URL, json=body, headers={"Authorization": f"Bearer {KEY}"})
    return fake.handler(request)


@pytest.mark.parametrize(
    "body",
    [
        {
            "inputs": [{"content": [{"type": "text", "text": "a"}]}],
            "model": "voyage-multimodal-3.5",
            "dimensions": 512,
        },
        {"inputs": [{"content": [{"type": "text", "text": "a"}]}]},
        {
            "inputs": [{"content": [{"type": "text", "text": "a"}]}],
            "model": "voyage-multimodal-3.5",
            "input_type": "search_query",
        },
        {"inputs": [{"content": [{"type": "text", "txt": "a"}]}], "model": "voyage-multimodal-3.5"},
        {
            "inputs": [{"content": [{"type": "text", "text": "a"}]}] * 1001,
            "model": "voyage-multimodal-3.5",
        },
        {
            "inputs": [{"content": [{"type": "image_base64", "image_base64": "aGVsbG8="}]}],
            "model": "voyage-multimodal-3.5",
        },
        {
            "inputs": [{"content": [{"type": "text", "text": "a"}]}],
            "model": "voyage-multimodal-3",
            "output_dimension": 512,
        },
        {
            "inputs": [
                {"content": [{"type": "image_url", "image_url": "https://example.com/a.png"}]},
                {
                    "content": [
                        {"type": "image_base64", "image_base64": data_url(make_image_bytes())}
                    ]
                },
            ],
            "model": "voyage-multimodal-3.5",
        },
    ],
    ids=[
        "unknown-field",
        "no-model",
        "bad-input-type",
        "bad-content",
        "too-many",
        "not-a-data-url",
        "fixed-dimension",
        "url-and-base64",
    ],
)
def test_the_fake_answers_400_to_what_voyage_refuses(body: dict[str, Any]) -> None:
    response = call_fake(body)
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_the_fake_answers_floats_without_output_encoding() -> None:
    response = call_fake(
        {"inputs": [{"content": [{"type": "text", "text": "a"}]}], "model": "voyage-multimodal-3.5"}
    )
    assert response.status_code == 200
    row = response.json()["data"][0]
    assert row["index"] == 0 and len(row["embedding"]) == 1024
    np.testing.assert_allclose(row["embedding"], expected([TextPart("a")], None), atol=1e-6)
