"""What the VertexProvider tests share: the in-memory Vertex of vendors/vertex.py behind
the test transport, no Google credentials from the environment, and a provider with a
static access token."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from embeddings.providers.base import (
    InputType,
)
from embeddings.providers.vertex import (
    VertexProvider,
)
from tests.embeddings.providers.conftest import FakeVendor, install_vendor
from tests.embeddings.providers.vendors import vertex as fake

DOCUMENT, QUERY = InputType.DOCUMENT, InputType.QUERY
PREDICT_URL = (
    "https://us-central1-aiplatform.googleapis.com/v1/projects/test-project/locations/"
    "us-central1/publishers/google/models/multimodalembedding@001:predict"
)
GOOGLE_ENV = (
    "GOOGLE_ACCESS_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
)


@pytest.fixture(autouse=True)
def clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in GOOGLE_ENV:
        monkeypatch.delenv(name, raising=False)
    fake.reset()
    yield
    fake.reset()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> FakeVendor:
    return install_vendor(monkeypatch, fake.handler)


def predict_bodies(recorder: FakeVendor) -> list[Any]:
    return [json.loads(r.content) for r in recorder.requests if r.url.path.endswith(":predict")]


def make_provider(**options: Any) -> VertexProvider:
    return VertexProvider(
        "vertex-test",
        {"access_token": "test-token", "project": "test-project", "backoff": 0.5, **options},
    )


def google_error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error": {"code": status, "message": message, "status": code}},
        headers=headers,
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
