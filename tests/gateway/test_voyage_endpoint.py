"""POST /embeddings/v1/multimodalembeddings: every documented field, limit and error, in
Voyage's shape ({"detail": ...})."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from embeddings.providers.base import ImagePart, InputType, TextPart
from tests.conftest import make_image_bytes
from tests.gateway.conftest import decoded, local_vector, png_base64
from tests.http_servers import LocalServer, respond

URL = "/embeddings/v1/multimodalembeddings"
PNG = make_image_bytes("PNG", size=(28, 20), color=(200, 40, 90))
DATA_URL = f"data:image/png;base64,{png_base64(PNG)}"


def post(client: APIClient, body: Any) -> Any:
    return client.post(URL, body, format="json")


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def image(value: str = DATA_URL) -> dict[str, str]:
    return {"type": "image_base64", "image_base64": value}


def assert_voyage_error(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail"}
    assert words.lower() in body["detail"].lower(), body["detail"]


@pytest.mark.parametrize(("input_type", "our_type"),
                         [(None, InputType.DOCUMENT), ("query", InputType.QUERY),
                          ("document", InputType.DOCUMENT)])  # fmt: skip
def test_text_image_and_interleaved_inputs(
    gateway_client: APIClient, input_type: str | None, our_type: InputType
) -> None:
    inputs = [{"content": [text("a red hat")]}, {"content": [image()]},
              {"content": [text("a photo of a cat"), image()]}]  # fmt: skip
    response = post(gateway_client, {"model": "tiny-clip", "inputs": inputs,
                                     "input_type": input_type})  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"object", "data", "model", "usage"}
    assert body["object"] == "list" and body["model"] == "tiny-clip"
    assert [(row["object"], row["index"]) for row in body["data"]] == [
        ("embedding", 0), ("embedding", 1), ("embedding", 2)]  # fmt: skip
    picture = ImagePart(PNG, "image/png")
    expected = [
        local_vector("tiny-clip", TextPart("a red hat"), input_type=our_type),
        local_vector("tiny-clip", picture, input_type=our_type),
        local_vector("tiny-clip", TextPart("a photo of a cat"), picture, input_type=our_type),
    ]
    for row, vector in zip(body["data"], expected, strict=True):
        assert isinstance(row["embedding"], list)
        np.testing.assert_allclose(decoded(row["embedding"]), vector, atol=1e-6)
    usage = body["usage"]
    assert usage["image_pixels"] == 2 * 28 * 20
    assert usage["text_tokens"] > 0
    assert usage["total_tokens"] == usage["text_tokens"] + 2  # ceil(560 / 560) per image


def test_base64_output_encoding(gateway_client: APIClient) -> None:
    response = post(gateway_client, {"model": "tiny-minilm", "output_encoding": "base64",
                                     "inputs": [{"content": [text("a red shoe")]}],
                                     "truncation": False})  # fmt: skip
    assert response.status_code == 200, response.content
    embedding = response.json()["data"][0]["embedding"]
    assert isinstance(embedding, str)
    np.testing.assert_allclose(decoded(embedding), local_vector("tiny-minilm", TextPart("a red shoe")),
                               atol=1e-6)  # fmt: skip


def test_output_dimension(gateway_client: APIClient, settings: Any) -> None:
    body = {"model": "tiny-minilm", "inputs": [{"content": [text("a")]}]}
    assert post(gateway_client, {**body, "output_dimension": 6}).status_code == 200
    assert_voyage_error(post(gateway_client, {**body, "output_dimension": 3}), 400,
                        "3 is not supported by tiny-minilm")  # fmt: skip
    settings.SEARCHAPP_GATEWAY_SHORTENING = ["tiny-minilm"]
    response = post(gateway_client, {**body, "output_dimension": 3})
    assert len(response.json()["data"][0]["embedding"]) == 3


def test_image_urls_go_through_the_guarded_fetcher(
    gateway_client: APIClient, image_server: LocalServer, loopback_server: LocalServer
) -> None:
    image_server.routes["/hat.png"] = respond(PNG)
    loopback_server.routes["/hat.png"] = respond(PNG)
    allowed, refused = image_server.url("/hat.png"), loopback_server.url("/hat.png")
    ok = post(gateway_client, {"model": "tiny-clip",
                               "inputs": [{"content": [{"type": "image_url", "image_url": allowed}]}]})  # fmt: skip
    assert ok.status_code == 200, ok.content
    np.testing.assert_allclose(decoded(ok.json()["data"][0]["embedding"]),
                               local_vector("tiny-clip", ImagePart(PNG, "image/png")), atol=1e-6)  # fmt: skip
    no = post(gateway_client, {"model": "tiny-clip",
                               "inputs": [{"content": [{"type": "image_url", "image_url": refused}]}]})  # fmt: skip
    assert_voyage_error(no, 400, "could not fetch the image")
    assert not loopback_server.seen


BIG = make_image_bytes("PNG", size=(4001, 4000))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"inputs": [{"content": [text("a")]}]}, "must provide a model"),
        ({"model": "tiny-clip"}, "must provide a inputs"),
        ({"model": "voyage-multimodal-3", "inputs": [{"content": [text("a")]}]}, "not supported"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("a")]}], "extra": 1}, "unrecognized"),
        ({"model": "tiny-clip", "inputs": []}, "non-empty list"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("a")]}] * 1001}, "exceeds the limit of 1000"),
        ({"model": "tiny-clip", "inputs": [{"content": []}]}, "content"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("a")], "more": 1}]}, "single key"),
        ({"model": "tiny-clip", "inputs": [{"content": [{"type": "video", "video": "x"}]}]}, "type"),
        ({"model": "tiny-clip", "inputs": [{"content": [{"type": "text", "text": 5}]}]}, "string"),
        ({"model": "tiny-clip", "inputs": [{"content": [image("data:image/png;base64,!!")]}]}, "base64"),
        ({"model": "tiny-clip", "inputs": [{"content": [image(), {"type": "image_url", "image_url": "http://x/a.png"}]}]},
         "either image_url or image_base64"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("a")]}], "input_type": "passage"}, "input_type"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("a")]}], "truncation": "yes"}, "truncation"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("a")]}], "output_encoding": "float"},
         "output_encoding"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("x" * 3 * 32000)]}], "truncation": False},
         "over the context length of 32000"),
        ({"model": "tiny-clip", "inputs": [{"content": [text("x" * 3 * 31000)]}] * 11},
         "max allowed tokens per submitted batch is 320000"),
        ({"model": "tiny-minilm", "inputs": [{"content": [image()]}]}, "embeds text only"),
        ({"model": "tiny-clip", "inputs": [{"content": [image(f"data:image/png;base64,{png_base64(BIG)}")]}]},
         "16 million pixels"),
    ],
)  # fmt: skip
def test_invalid_requests(gateway_client: APIClient, body: dict[str, Any], words: str,
                          settings: Any) -> None:  # fmt: skip
    settings.SEARCHAPP_MAX_IMAGE_PIXELS = 20_000_000  # Voyage's own limit is the one hit
    assert_voyage_error(post(gateway_client, body), 400, words)


def test_an_image_over_20_megabytes(gateway_client: APIClient) -> None:
    huge = "data:image/png;base64," + "A" * (20 * 1024 * 1024 * 4 // 3 + 100)
    body = {"model": "tiny-clip", "inputs": [{"content": [image(huge)]}]}
    response = gateway_client.post(URL, body, format="json")
    assert response.status_code in (400, 413), response.content
    assert set(response.json()) == {"detail"}


def test_truncation_true_lets_a_long_input_through(gateway_client: APIClient) -> None:
    body = {"model": "tiny-minilm", "inputs": [{"content": [text("red " * 30000)]}]}
    assert post(gateway_client, body).status_code == 200


def test_a_wrong_key_is_a_401_in_voyage_shape(gateway_key: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer invalid")
    response = post(client, {"model": "tiny-clip", "inputs": [{"content": [text("a")]}]})
    assert_voyage_error(response, 401, "api key")


def test_bodies_that_are_not_json(gateway_client: APIClient) -> None:
    broken = gateway_client.post(URL, "{", content_type="application/json")
    assert_voyage_error(broken, 400, "could not parse")
    assert_voyage_error(gateway_client.post(URL, {"model": "x"}), 415, "application/json")
