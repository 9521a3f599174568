"""NomicProvider against the in-memory Nomic Atlas of tests/embeddings/providers/vendors/
nomic.py: the exact requests to /v1/embedding/text and /v1/embedding/image, mixed batches
split by endpoint and put back in order, and the shared HTTP behaviour as it applies to
Nomic."""

from __future__ import annotations

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
from embeddings.providers.nomic import NomicProvider
from tests.conftest import make_image_bytes
from tests.embeddings.providers.conftest import DOCUMENT, QUERY, FakeVendor, install_vendor
from tests.embeddings.providers.sample_images import png
from tests.embeddings.providers.vendors import nomic as vendor

KEY = "test-key-nomic-123"
TEXT_URL = "https://api-atlas.nomic.ai/v1/embedding/text"
IMAGE_URL = "https://api-atlas.nomic.ai/v1/embedding/image"


def form(request: httpx.Request) -> tuple[dict[str, str], list[tuple[str, str, str, bytes]]]:
    """A multipart request's fields, and its file parts as (name, filename, type, bytes)."""
    boundary = request.headers["content-type"].split("boundary=", 1)[1]
    fields: dict[str, str] = {}
    files: list[tuple[str, str, str, bytes]] = []
    for chunk in request.content.split(b"--" + boundary.encode())[1:-1]:
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(
            line.decode().split(": ", 1) for line in head.split(b"\r\n") if b": " in line
        )
        disposition = headers["Content-Disposition"]
        params = dict(p.strip().split("=", 1) for p in disposition.split(";")[1:] if "=" in p)
        name = params["name"].strip('"')
        if "filename" in params:
            files.append(
                (name, params["filename"].strip('"'), headers["Content-Type"], content[:-2])
            )
        else:
            fields[name] = content[:-2].decode()
    return fields, files


@pytest.fixture
def nomic(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeVendor]:
    """Put the fake Nomic behind every client built from now on; calling the
    fixture scripts its answers (`FakeVendor.answer`)."""
    return install_vendor(monkeypatch, vendor.handler).answer


def provider(**options: Any) -> NomicProvider:
    return NomicProvider("nomic-test", {"api_key": KEY, **options})


def failure(status: int, message: str = "upstream trouble", **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"detail": message})


def expected(part: TextPart | ImagePart, dims: int = 768, input_type: str = "document") -> Any:
    return vendor.expected_vector(part, dimensions=dims, input_type=input_type)


# --- requests exactly as Nomic documents them --------------------------------------------------


def test_a_text_batch_is_one_documented_json_request(nomic: Callable[..., FakeVendor]) -> None:
    script = nomic()
    texts = [TextPart("red wool scarf"), TextPart("oak side table")]
    result = provider().embed([[t] for t in texts], input_type=DOCUMENT)

    (request,) = script.requests
    assert request.method == "POST" and str(request.url) == TEXT_URL
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "nomic-embed-text-v1.5",
        "texts": ["red wool scarf", "oak side table"],
        "task_type": "search_document",
        "long_text_mode": "truncate",
        "dimensionality": 768,
    }
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (2, 768)
    for row, text in zip(result.vectors, texts, strict=True):
        assert np.allclose(row, expected(text), atol=1e-6)
    assert result.usage.text_tokens == (14 // 4 + 1) + (14 // 4 + 1)


def test_queries_use_the_search_query_task_type(nomic: Callable[..., FakeVendor]) -> None:
    script = nomic()
    result = provider().embed([[TextPart("scarf")]], input_type=QUERY)
    assert json.loads(script.requests[0].content)["task_type"] == "search_query"
    assert np.allclose(result.vectors[0], expected(TextPart("scarf"), input_type="query"))
    assert not np.allclose(result.vectors[0], expected(TextPart("scarf")))


def test_images_go_as_multipart_files_to_the_image_endpoint(
    nomic: Callable[..., FakeVendor],
) -> None:
    script = nomic()
    first = ImagePart(png(), "image/png")
    second = ImagePart(make_image_bytes("JPEG", size=(40, 40)), "image/jpeg")
    result = provider().embed([[first], [second]], input_type=QUERY)

    (request,) = script.requests
    assert request.method == "POST" and str(request.url) == IMAGE_URL
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    fields, files = form(request)
    assert fields == {"model": "nomic-embed-vision-v1.5"}
    assert files == [
        ("images", "image-0.png", "image/png", first.data),
        ("images", "image-1.jpg", "image/jpeg", second.data),
    ]
    assert np.allclose(result.vectors[0], expected(first), atol=1e-6)
    assert np.allclose(result.vectors[1], expected(second), atol=1e-6)
    assert result.usage.images == 2 and result.usage.image_pixels == 48 * 32 + 40 * 40
    assert result.usage.text_tokens == 0


def test_a_mixed_batch_is_two_requests_and_keeps_the_input_order(
    nomic: Callable[..., FakeVendor],
) -> None:
    script = nomic()
    image_a, image_b = ImagePart(png(), "image/png"), ImagePart(png(color=(1, 2, 3)), "image/png")
    parts: list[TextPart | ImagePart] = [
        TextPart("lamp"),
        image_a,
        TextPart("desk"),
        image_b,
        TextPart("chair"),
    ]
    result = provider().embed([[p] for p in parts], input_type=DOCUMENT)

    assert [str(r.url) for r in script.requests] == [TEXT_URL, IMAGE_URL]
    assert json.loads(script.requests[0].content)["texts"] == ["lamp", "desk", "chair"]
    assert [file[3] for file in form(script.requests[1])[1]] == [image_a.data, image_b.data]
    for row, part in zip(result.vectors, parts, strict=True):
        assert np.allclose(row, expected(part), atol=1e-6)
    assert result.usage.requests == 2 and result.usage.inputs == 5 and result.usage.images == 2


def test_a_text_and_image_input_is_fused(nomic: Callable[..., FakeVendor]) -> None:
    nomic()
    text, image = TextPart("green vase"), ImagePart(png(), "image/png", weight=0.5)
    result = provider().embed([[text, image]], input_type=QUERY)
    want = fuse(np.stack([expected(text, input_type="query"), expected(image)]), [1.0, 0.5])
    assert result.vectors.shape == (1, 768) and np.allclose(result.vectors[0], want, atol=1e-6)


def test_text_only_aliases_may_choose_smaller_dimensions(nomic: Callable[..., FakeVendor]) -> None:
    script = nomic()
    small = provider(vision_model=None, dimensions=256)
    assert not small.capabilities.image and small.capabilities.dimensions == 256
    result = small.embed([[TextPart("stool")]], input_type=DOCUMENT)
    assert json.loads(script.requests[0].content)["dimensionality"] == 256
    assert np.allclose(result.vectors[0], expected(TextPart("stool"), dims=256), atol=1e-6)
    assert small.model_name == "nomic:nomic-embed-text-v1.5@256d"
    with pytest.raises(PermanentProviderError, match="does not embed images"):
        small.embed([[ImagePart(png(), "image/png")]], input_type=DOCUMENT)


def test_nomic_embed_text_v1_sends_no_dimensionality(nomic: Callable[..., FakeVendor]) -> None:
    script = nomic()
    v1 = provider(model="nomic-embed-text-v1")
    v1.embed([[TextPart("a")], [ImagePart(png(), "image/png")]], input_type=DOCUMENT)
    body = json.loads(script.to(TEXT_URL)[0].content)
    assert body["model"] == "nomic-embed-text-v1" and "dimensionality" not in body
    assert form(script.to(IMAGE_URL)[0])[0] == {"model": "nomic-embed-vision-v1"}


def test_capabilities() -> None:
    capabilities = provider().capabilities
    assert capabilities.text and capabilities.image and capabilities.input_types
    assert not capabilities.interleaved and capabilities.dimensions == 768


@pytest.mark.parametrize(
    "options",
    [
        {"dimensions": 256},  # images are enabled, and the image endpoint is always 768
        {"vision_model": None, "dimensions": 32},
        {"vision_model": None, "dimensions": 1024},
        {"vision_model": None, "dimensions": "256"},
        {"model": "nomic-embed-text-v1", "vision_model": None, "dimensions": 256},
        {"model": "nomic-embed-text-v2"},
        {"vision_model": "nomic-embed-vision-v1"},  # not v1.5's space
        {"long_text_mode": "chunk"},
        {"max_batch": 0},
    ],
)
def test_invalid_options_are_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ProviderConfigurationError):
        provider(**options)


# --- answers -----------------------------------------------------------------------------------


def test_a_real_shaped_answer_is_read() -> None:
    nomic_provider = provider(vision_model=None, dimensions=64)
    body = {
        "embeddings": [list(range(64)), [-1.0] * 64],
        "usage": {"prompt_tokens": 12, "total_tokens": 12},
        "model": "nomic-embed-text-v1.5",
    }
    result = nomic_provider.parse(body, [(TextPart("a"),), (TextPart("b"),)])
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (2, 64)
    assert result.vectors[0, 5] == 5.0 and result.vectors[1, 0] == -1.0
    assert result.usage.text_tokens == 12 and result.usage.inputs == 2


@pytest.mark.parametrize("embeddings", [[], [[0.5] * 512]])
def test_an_answer_of_the_wrong_shape_is_a_permanent_error(
    nomic: Callable[..., FakeVendor], embeddings: list[list[float]]
) -> None:
    nomic(httpx.Response(200, json={"embeddings": embeddings, "usage": {}, "model": "x"}))
    with pytest.raises(PermanentProviderError, match="unexpected shape"):
        provider().embed([[TextPart("a")]], input_type=DOCUMENT)


def test_validation_errors_name_the_field(
    nomic: Callable[..., FakeVendor], waits: list[float]
) -> None:
    script = nomic(
        httpx.Response(
            422,
            json={
                "detail": [
                    {"loc": ["body", "dimensionality"], "msg": "Input too big", "type": "int"}
                ]
            },
        )
    )
    with pytest.raises(
        PermanentProviderError, match=r"nomic HTTP 422: body\.dimensionality: Input too big"
    ):
        provider().embed([[TextPart("a")]], input_type=DOCUMENT)
    assert len(script.requests) == 1 and waits == []


def test_the_fake_refuses_what_nomic_does_not_document() -> None:
    def post(body: dict[str, Any], key: str = KEY) -> httpx.Response:
        return vendor.handler(
            httpx.Request("POST", TEXT_URL, json=body, headers={"Authorization": f"Bearer {key}"})
        )

    good = {"model": "nomic-embed-text-v1.5", "texts": ["a"], "task_type": "search_query"}
    assert post(good).status_code == 200
    assert post(good, key="wrong").status_code == 401
    for bad in (
        {**good, "input_type": "query"},
        {"model": "nomic-embed-text-v1.5"},
        {**good, "task_type": "retrieval.query"},
        {**good, "dimensionality": 1024},
        {**good, "model": "nomic-embed-vision-v1.5"},
    ):
        response = post(bad)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][0] == "body"
    gif = httpx.Request(
        "POST",
        IMAGE_URL,
        data={"model": "nomic-embed-vision-v1.5"},
        files=[("images", ("a.gif", make_image_bytes("GIF"), "image/gif"))],
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert vendor.handler(gif).status_code == 422


# --- errors, retries and the circuit breaker ---------------------------------------------------


def test_a_failed_request_of_a_mixed_batch_retries_only_itself(
    nomic: Callable[..., FakeVendor], waits: list[float]
) -> None:
    script = nomic(None, failure(502))  # the text request passes, the image one fails once
    image = ImagePart(png(), "image/png")
    result = provider().embed([[TextPart("a")], [image]], input_type=DOCUMENT)
    assert [str(r.url) for r in script.requests] == [TEXT_URL, IMAGE_URL, IMAGE_URL]
    assert np.allclose(result.vectors[1], expected(image), atol=1e-6)


# --- batching and image limits -----------------------------------------------------------------


def test_texts_go_ten_per_request(nomic: Callable[..., FakeVendor]) -> None:
    script = nomic()
    texts = [TextPart(f"item {n}") for n in range(25)]
    result = provider().embed([[t] for t in texts], input_type=DOCUMENT)
    assert [len(json.loads(r.content)["texts"]) for r in script.requests] == [10, 10, 5]
    for row, text in zip(result.vectors, texts, strict=True):
        assert np.allclose(row, expected(text), atol=1e-6)


def test_images_go_at_most_512_per_request(nomic: Callable[..., FakeVendor]) -> None:
    script = nomic()
    images = [
        ImagePart(png(size=(8, 8), color=(n % 256, n // 256, 7)), "image/png") for n in range(515)
    ]
    result = provider(max_batch=1000).embed_batch([(i,) for i in images], input_type=DOCUMENT)
    assert [len(form(r)[1]) for r in script.requests] == [512, 3]
    for n in (0, 511, 512, 514):
        assert np.allclose(result.vectors[n], expected(images[n]), atol=1e-6)


def test_max_batch_bounds_every_request(nomic: Callable[..., FakeVendor]) -> None:
    script = nomic()
    parts = [ImagePart(png(color=(n, 0, 0)), "image/png") for n in range(5)]
    provider(max_batch=2).embed([[p] for p in parts], input_type=DOCUMENT)
    assert [len(form(r)[1]) for r in script.requests] == [2, 2, 1]


def test_a_large_image_is_downscaled_before_sending_never_dropped(
    nomic: Callable[..., FakeVendor],
) -> None:
    script = nomic()
    big = ImagePart(png(size=(1600, 1200)), "image/png")
    gif = ImagePart(make_image_bytes("GIF", size=(30, 20)), "image/gif")
    small = ImagePart(png(), "image/png")
    result = provider().embed([[big], [gif], [small]], input_type=DOCUMENT)

    (request,) = script.requests
    sent = [file[3] for file in form(request)[1]]
    with Image.open(io.BytesIO(sent[0])) as image:
        assert image.width * image.height <= 512 * 512
        assert image.width / image.height == pytest.approx(4 / 3, rel=0.02)
    with Image.open(io.BytesIO(sent[1])) as image:  # GIF is not a format Nomic takes
        assert image.format in {"PNG", "JPEG"}
    assert sent[2] == small.data  # within the limits: sent as it is
    assert result.vectors.shape == (3, 768)
    for row, part in zip(result.vectors, [big, gif, small], strict=True):
        assert np.allclose(row, expected(part), atol=1e-6)
