"""POST /embeddings/v1/embeddings: every documented field, and every error in OpenAI's shape
with OpenAI's status code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from embeddings.providers.base import ImagePart, TextPart, l2_normalise
from gateway.embedding import estimate_tokens
from tests.gateway.conftest import decoded, local_vector, png_base64

URL = "/embeddings/v1/embeddings"


def post(client: APIClient, body: Any, **kwargs: Any) -> Any:
    return client.post(URL, body, format="json", **kwargs)


def assert_openai_error(response: Any, status: int, *, param: str | None = None,
                        code: str | None = None, words: str = "") -> dict[str, Any]:  # fmt: skip
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param
    assert error["code"] == code
    assert words.lower() in error["message"].lower()
    return dict(error)


def test_a_string_input_answers_in_openai_shape(gateway_client: APIClient) -> None:
    response = post(gateway_client, {"model": "tiny-minilm", "input": "a red shoe", "user": "u1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"object", "data", "model", "usage"}
    assert body["object"] == "list" and body["model"] == "tiny-minilm"
    (row,) = body["data"]
    assert row["object"] == "embedding" and row["index"] == 0
    expected = local_vector("tiny-minilm", TextPart("a red shoe"))
    np.testing.assert_allclose(decoded(row["embedding"]), expected, atol=1e-6)
    usage = body["usage"]
    assert usage["prompt_tokens"] == usage["total_tokens"] > 0


@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_a_list_of_inputs_in_order_in_either_encoding(
    gateway_client: APIClient, encoding: str
) -> None:
    texts = ["a red shoe", "a blue dress", "the man is eating food"]
    response = post(gateway_client, {"model": "tiny-minilm", "input": texts,
                                     "encoding_format": encoding})  # fmt: skip
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert [row["index"] for row in data] == [0, 1, 2]
    assert all(isinstance(row["embedding"], str if encoding == "base64" else list) for row in data)
    for text, row in zip(texts, data, strict=True):
        expected = local_vector("tiny-minilm", TextPart(text))
        np.testing.assert_allclose(decoded(row["embedding"]), expected, atol=1e-6)


def test_images_as_data_urls_or_raw_base64(
    gateway_client: APIClient, image_bytes: Callable[..., bytes]
) -> None:
    png = image_bytes("PNG", size=(20, 16), color=(10, 200, 30))
    inputs = [f"data:image/png;base64,{png_base64(png)}", png_base64(png), "a photo of a cat"]
    response = post(gateway_client, {"model": "tiny-clip", "input": inputs})
    assert response.status_code == 200, response.content
    vectors = [decoded(row["embedding"]) for row in response.json()["data"]]
    image = local_vector("tiny-clip", ImagePart(png, "image/png"))
    np.testing.assert_allclose(vectors[0], image, atol=1e-6)
    np.testing.assert_allclose(vectors[1], image, atol=1e-6)
    np.testing.assert_allclose(vectors[2], local_vector("tiny-clip", TextPart("a photo of a cat")),
                               atol=1e-6)  # fmt: skip
    usage = response.json()["usage"]
    assert usage["prompt_tokens"] >= 2 * -(-20 * 16 // 560)  # the images count too


def test_dimensions_equal_to_the_model_are_accepted(gateway_client: APIClient) -> None:
    response = post(gateway_client, {"model": "tiny-minilm", "input": "a", "dimensions": 6})
    assert response.status_code == 200, response.content
    assert len(response.json()["data"][0]["embedding"]) == 6


def test_dimensions_shorten_a_model_that_allows_it(
    gateway_client: APIClient, settings: Any
) -> None:
    settings.SEARCHAPP_GATEWAY_SHORTENING = ["tiny-minilm"]
    response = post(gateway_client, {"model": "tiny-minilm", "input": "a red shoe",
                                     "dimensions": 3})  # fmt: skip
    assert response.status_code == 200, response.content
    full = local_vector("tiny-minilm", TextPart("a red shoe"))
    vector = decoded(response.json()["data"][0]["embedding"])
    np.testing.assert_allclose(vector, l2_normalise(full[:3])[0], atol=1e-6)
    too_many = post(gateway_client, {"model": "tiny-minilm", "input": "a", "dimensions": 7})
    assert_openai_error(too_many, 400, param="dimensions", words="at most 6")


def test_dimensions_are_refused_where_the_model_cannot_shorten(gateway_client: APIClient) -> None:
    response = post(gateway_client, {"model": "tiny-minilm", "input": "a", "dimensions": 3})
    assert_openai_error(response, 400, param="dimensions",
                        words="does not support specifying dimensions")  # fmt: skip


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"input": "a"}, "model", "must provide a model"),
        ({"model": "tiny-minilm"}, "input", "must provide a input"),
        ({"model": "tiny-minilm", "input": "a", "temperature": 1}, "temperature", "unrecognized"),
        ({"model": "tiny-minilm", "input": []}, "input", "non-empty array"),
        ({"model": "tiny-minilm", "input": ["a", ""]}, "input", "input[1] must be a non-empty"),
        ({"model": "tiny-minilm", "input": [1, 2, 3]}, "input", "token arrays"),
        ({"model": "tiny-minilm", "input": [[1, 2]]}, "input", "token arrays"),
        ({"model": "tiny-minilm", "input": ["a"] * 2049}, "input", "at most 2048"),
        ({"model": "tiny-minilm", "input": "a", "encoding_format": "int8"}, "encoding_format", "int8"),
        ({"model": "tiny-minilm", "input": "a", "dimensions": 0}, "dimensions", "at least 1"),
        ({"model": "tiny-minilm", "input": "a", "dimensions": "6"}, "dimensions", "whole number"),
        ({"model": "tiny-minilm", "input": "a", "user": 5}, "user", "string"),
        ({"model": "tiny-minilm", "input": "x" * 3 * 8192}, "input", "maximum context length is 8192"),
        ({"model": "tiny-minilm", "input": ["x" * 3 * 8000] * 38}, "input", "max 300000 tokens"),
    ],
)  # fmt: skip
def test_invalid_requests(
    gateway_client: APIClient, body: dict[str, Any], param: str | None, words: str
) -> None:
    error = assert_openai_error(post(gateway_client, body), 400, param=param, words=words)
    assert error["type"] == "invalid_request_error"


def test_a_broken_image_is_refused_by_an_image_model_and_is_text_to_a_text_model(
    gateway_client: APIClient,
) -> None:
    value = "data:image/png;base64,AAAA"
    response = post(gateway_client, {"model": "tiny-clip", "input": value})
    assert_openai_error(response, 400, param="input[0]", words="input[0]")
    assert post(gateway_client, {"model": "tiny-minilm", "input": value}).status_code == 200


def test_an_unknown_model_is_a_404(gateway_client: APIClient) -> None:
    response = post(gateway_client, {"model": "text-embedding-3-small", "input": "a"})
    error = assert_openai_error(response, 404, param="model", code="model_not_found",
                                words="`text-embedding-3-small` does not exist")  # fmt: skip
    assert error["type"] == "invalid_request_error"


def test_a_hosted_alias_is_not_served(gateway_client: APIClient) -> None:
    response = post(gateway_client, {"model": "voyage", "input": "a"})
    assert_openai_error(response, 404, param="model", code="model_not_found")


@pytest.mark.parametrize(
    ("authorization", "words"),
    [(None, "didn't provide an api key"), ("Bearer sag-wrong", "incorrect"),
     ("Token abc", "didn't provide")],
)  # fmt: skip
def test_a_missing_or_wrong_key_is_a_401(
    gateway_key: Any, authorization: str | None, words: str
) -> None:
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = post(client, {"model": "tiny-minilm", "input": "a"})
    assert_openai_error(response, 401, code="invalid_api_key", words=words)


def test_bodies_that_are_not_json(gateway_client: APIClient) -> None:
    broken = gateway_client.post(URL, "{not json", content_type="application/json")
    assert_openai_error(broken, 400, words="could not parse the json body")
    form = gateway_client.post(URL, {"model": "tiny-minilm", "input": "a"})  # multipart
    assert_openai_error(form, 415, words="application/json")
    not_object = post(gateway_client, ["a"])
    assert_openai_error(not_object, 400, words="json object")
    get = gateway_client.get(URL)
    assert_openai_error(get, 405, words="GET")


def test_a_body_over_the_size_limit_is_a_413(gateway_client: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(gateway_client, {"model": "tiny-minilm", "input": "a" * 2000})
    assert_openai_error(response, 413, code="request_too_large")


def test_token_estimate_is_what_limits_use() -> None:
    assert estimate_tokens("x" * 3 * 8192) > 8192 >= estimate_tokens("x" * 3 * 8191)
