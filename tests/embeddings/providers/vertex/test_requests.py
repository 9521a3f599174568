"""VertexProvider against the in-memory Vertex of vendors/vertex.py: configuration, the
exact requests, batching and image limits, parsing and the errors Vertex answers."""

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
from embeddings.providers.vertex import (
    MAX_IMAGE_PIXELS,
    VertexProvider,
)
from tests.conftest import make_image_bytes
from tests.embeddings.providers.conftest import FakeVendor
from tests.embeddings.providers.vendors import vertex as fake
from tests.embeddings.providers.vertex.conftest import (
    DOCUMENT,
    PREDICT_URL,
    QUERY,
    b64,
    google_error,
    make_provider,
    predict_bodies,
)

# --- configuration --------------------------------------------------------------------------


def test_capabilities_and_model_name() -> None:
    provider = make_provider()
    caps = provider.capabilities
    assert (caps.text, caps.image, caps.interleaved, caps.input_types) == (True, True, False, False)
    assert caps.dimensions == 1408
    assert provider.model_name == "vertex:multimodalembedding@001"
    assert make_provider(dimensions=256).model_name == "vertex:multimodalembedding@001@256d"
    assert provider.max_inputs_per_request == 1


@pytest.mark.parametrize("dimensions", [0, 300, 1536, "big"])
def test_unsupported_dimensions_are_refused(dimensions: Any) -> None:
    with pytest.raises(ProviderConfigurationError, match="128, 256, 512, 1408"):
        make_provider(dimensions=dimensions)


def test_unknown_model_and_bad_location_are_refused() -> None:
    with pytest.raises(
        ProviderConfigurationError,
        match=r"OPTIONS\['model'\] must be one of multimodalembedding@001",
    ):
        make_provider(model="textembedding-gecko@003")
    with pytest.raises(ProviderConfigurationError, match="location"):
        make_provider(location="us central/1")


def test_a_project_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ProviderConfigurationError, match="no Google Cloud project"):
        VertexProvider("vertex-test", {"access_token": "test-token"})
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
    assert VertexProvider("vertex-test", {"access_token": "t"}).project == "from-env"


def test_without_credentials_check_warns_and_embed_fails(recorder: FakeVendor) -> None:
    provider = VertexProvider("vertex-test", {"project": "test-project"})
    [message] = provider.check()
    assert message.id == "embeddings.W030"
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(message.hint)
    with pytest.raises(PermanentProviderError, match="no Google credentials"):
        provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
    assert recorder.requests == []
    assert make_provider().check() == []


# --- requests on the wire -------------------------------------------------------------------


def test_text_request_is_exactly_the_documented_one(recorder: FakeVendor) -> None:
    result = make_provider().embed([(TextPart("red enamel mug"),)], input_type=DOCUMENT)

    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == PREDICT_URL
    assert request.headers["authorization"] == "Bearer test-token"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "instances": [{"text": "red enamel mug"}],
        "parameters": {"dimension": 1408},
    }
    expected = fake.expected_vector(TextPart("red enamel mug"), dimensions=1408, input_type=None)
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (1, 1408)
    np.testing.assert_allclose(result.vectors[0], expected, rtol=1e-6)
    assert (result.usage.requests, result.usage.inputs, result.usage.text_tokens) == (1, 1, 0)


def test_image_request_sends_base64_bytes_unchanged(recorder: FakeVendor) -> None:
    png = make_image_bytes("PNG", size=(64, 48))
    part = ImagePart(png, "image/png")
    result = make_provider(dimensions=512).embed([(part,)], input_type=DOCUMENT)

    assert predict_bodies(recorder) == [
        {
            "instances": [{"image": {"bytesBase64Encoded": b64(png)}}],
            "parameters": {"dimension": 512},
        }
    ]
    np.testing.assert_allclose(
        result.vectors[0], fake.expected_vector(part, dimensions=512, input_type=None), rtol=1e-6
    )
    assert (result.usage.images, result.usage.image_pixels) == (1, 64 * 48)


def test_query_and_document_requests_are_alike(recorder: FakeVendor) -> None:
    provider = make_provider()
    query = provider.embed([(TextPart("mug"),)], input_type=QUERY)
    document = provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
    first, second = predict_bodies(recorder)
    assert first == second
    np.testing.assert_array_equal(query.vectors, document.vectors)


def test_mixed_input_is_one_instance_per_part_then_fused(recorder: FakeVendor) -> None:
    jpeg = make_image_bytes("JPEG", size=(40, 40), color=(10, 200, 10))
    text, image = TextPart("green bowl", weight=0.25), ImagePart(jpeg, "image/jpeg", weight=0.75)
    result = make_provider(dimensions=128).embed([(text, image)], input_type=QUERY)

    assert predict_bodies(recorder) == [
        {"instances": [{"text": "green bowl"}], "parameters": {"dimension": 128}},
        {
            "instances": [{"image": {"bytesBase64Encoded": b64(jpeg)}}],
            "parameters": {"dimension": 128},
        },
    ]
    parts = np.stack(
        [fake.expected_vector(p, dimensions=128, input_type="query") for p in (text, image)]
    )
    np.testing.assert_allclose(result.vectors[0], fuse(parts, [0.25, 0.75]), rtol=1e-5, atol=1e-6)


def test_location_picks_host_and_path(recorder: FakeVendor) -> None:
    make_provider(location="europe-west4").embed([(TextPart("mug"),)], input_type=DOCUMENT)
    assert str(recorder.requests[0].url) == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/test-project/locations/"
        "europe-west4/publishers/google/models/multimodalembedding@001:predict"
    )


def test_long_text_is_cut_below_the_1024_character_limit(recorder: FakeVendor) -> None:
    provider = make_provider()
    long_ascii, long_cjk = "mug " * 500, "杯" * 600  # 2000 characters; 1800 UTF-8 bytes
    result = provider.embed([(TextPart(long_ascii),), (TextPart(long_cjk),)], input_type=DOCUMENT)

    sent = [body["instances"][0]["text"] for body in predict_bodies(recorder)]
    assert sent[0] == long_ascii[:1023]
    assert sent[1] == "杯" * 341 and len(sent[1].encode()) == 1023
    np.testing.assert_allclose(
        result.vectors[1],
        fake.expected_vector(TextPart(long_cjk), dimensions=1408, input_type=None),
        rtol=1e-6,
    )


# --- batching and images --------------------------------------------------------------------


def test_every_input_is_its_own_request_in_order(recorder: FakeVendor) -> None:
    texts = [f"item {n}" for n in range(5)]
    png = make_image_bytes("PNG", size=(8, 8))
    inputs = [(TextPart(t),) for t in texts] + [(ImagePart(png, "image/png"),)]
    result = make_provider(max_batch=4).embed(inputs, input_type=DOCUMENT)

    bodies = predict_bodies(recorder)
    assert len(bodies) == 6 and all(len(body["instances"]) == 1 for body in bodies)
    assert [body["instances"][0].get("text") for body in bodies[:5]] == texts
    for row, parts in zip(result.vectors, inputs, strict=True):
        expected = fake.expected_vector(parts[0], dimensions=1408, input_type=None)
        np.testing.assert_allclose(row, expected, rtol=1e-6)
    assert (result.usage.requests, result.usage.inputs, result.usage.images) == (6, 6, 1)


def test_image_over_the_pixel_limit_is_downscaled_not_dropped(recorder: FakeVendor) -> None:
    big = make_image_bytes("PNG", size=(3000, 2000))  # 6 MP > 2048 x 2048
    part = ImagePart(big, "image/png")
    result = make_provider().embed([(part,)], input_type=DOCUMENT)

    [body] = predict_bodies(recorder)
    sent = base64.b64decode(body["instances"][0]["image"]["bytesBase64Encoded"])
    with Image.open(io.BytesIO(sent)) as image:
        assert image.width * image.height <= MAX_IMAGE_PIXELS
        assert image.width / image.height == pytest.approx(1.5, rel=0.01)
    np.testing.assert_allclose(
        result.vectors[0], fake.expected_vector(part, dimensions=1408, input_type=None), rtol=1e-6
    )
    assert result.usage.image_pixels <= MAX_IMAGE_PIXELS


def test_webp_is_re_encoded_into_a_documented_format(recorder: FakeVendor) -> None:
    webp = make_image_bytes("WEBP", size=(32, 32))
    make_provider().embed([(ImagePart(webp, "image/webp"),)], input_type=DOCUMENT)
    [body] = predict_bodies(recorder)
    sent = base64.b64decode(body["instances"][0]["image"]["bytesBase64Encoded"])
    with Image.open(io.BytesIO(sent)) as image:
        assert image.format == "JPEG" and image.size == (32, 32)


def test_gif_is_sent_as_is(recorder: FakeVendor) -> None:
    gif = make_image_bytes("GIF", size=(16, 16))
    make_provider().embed([(ImagePart(gif, "image/gif"),)], input_type=DOCUMENT)
    assert predict_bodies(recorder)[0]["instances"][0]["image"]["bytesBase64Encoded"] == b64(gif)


# --- parsing --------------------------------------------------------------------------------


def test_parse_takes_the_embedding_of_the_part_sent() -> None:
    provider = make_provider(dimensions=128)
    body = {
        "predictions": [{"textEmbedding": [0.5] * 128, "imageEmbedding": [0.25] * 128}],
        "deployedModelId": "",
    }
    text_result = provider.parse(body, [(TextPart("x"),)])
    assert text_result.vectors.dtype == np.float32
    np.testing.assert_array_equal(text_result.vectors[0], np.full(128, 0.5, np.float32))
    png = make_image_bytes("PNG", size=(4, 5))
    image_result = provider.parse(body, [(ImagePart(png, "image/png"),)])
    np.testing.assert_array_equal(image_result.vectors[0], np.full(128, 0.25, np.float32))
    assert (image_result.usage.images, image_result.usage.image_pixels) == (1, 20)


def test_wrong_dimensions_in_the_answer_is_a_permanent_error(recorder: FakeVendor) -> None:
    recorder.answer(httpx.Response(200, json={"predictions": [{"textEmbedding": [0.1] * 64}]}))
    with pytest.raises(PermanentProviderError, match="unexpected shape"):
        make_provider(dimensions=128).embed([(TextPart("x"),)], input_type=DOCUMENT)


# --- errors, retries, circuit breaker -------------------------------------------------------


def test_the_fake_rejects_what_vertex_rejects(recorder: FakeVendor) -> None:
    provider = make_provider()
    client = provider.client()
    path = httpx.URL(PREDICT_URL).path
    headers = {"Authorization": "Bearer test-token"}
    two = {"instances": [{"text": "a"}, {"text": "b"}], "parameters": {"dimension": 128}}
    response = client.post(path, json=two, headers=headers)
    assert response.status_code == 400 and "1 instance(s)" in response.json()["error"]["message"]
    unknown = {"instances": [{"text": "a"}], "parameters": {"dimension": 128, "taskType": "x"}}
    response = client.post(path, json=unknown, headers=headers)
    assert response.status_code == 400
    assert 'Unknown name "taskType"' in response.json()["error"]["message"]
    assert "Unknown name" in provider.error_message(response)
    response = client.post(path, json={"instances": [{"text": "a"}]}, headers={})
    assert response.status_code == 401


def test_a_401_drops_the_cached_token() -> None:
    provider = make_provider()
    provider._token = "stale"
    provider.error_message(google_error(401, "UNAUTHENTICATED", "expired"))
    assert provider._token is None


def test_expected_vector_is_what_the_provider_returns(recorder: FakeVendor) -> None:
    provider = make_provider(dimensions=256)
    parts: list[Callable[[], TextPart | ImagePart]] = [
        lambda: TextPart("a mug"),
        lambda: ImagePart(make_image_bytes("PNG", size=(20, 10)), "image/png"),
    ]
    for make in parts:
        part = make()
        result = provider.embed([(part,)], input_type=DOCUMENT)
        expected = fake.expected_vector(part, dimensions=256, input_type="document")
        np.testing.assert_allclose(result.vectors[0], expected, rtol=1e-6)
