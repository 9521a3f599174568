"""The gateway serves the tiny ONNX models ("tiny-clip": text + images, 4 dimensions;
"tiny-minilm": text, 6 dimensions); clients hold a key made by the service."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from embeddings.providers.base import InputType, Part
from embeddings.providers.registry import providers
from gateway.services import NewKey, gateway_key_create


@pytest.fixture
def gateway_key(db: None, tiny_providers: dict[str, Any]) -> NewKey:
    return gateway_key_create(name="shop front end")


@pytest.fixture
def gateway_client(gateway_key: NewKey) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {gateway_key.raw_key}")
    return client


def local_vector(alias: str, *parts: Part, input_type: InputType = InputType.DOCUMENT) -> Any:
    """What the local provider gives one input, for comparison with the gateway's answer."""
    return providers[alias].embed([parts], input_type=input_type).vectors[0]


def decoded(embedding: Any) -> Any:
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding), dtype="<f4")
    return np.asarray(embedding, dtype=np.float32)


def png_base64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")
