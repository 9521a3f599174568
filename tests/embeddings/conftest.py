"""Fixtures for the embedding tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from embeddings import queue
from tests.embeddings.fakes import FakeProvider

PROVIDERS = {
    "fake": {
        "BACKEND": "tests.embeddings.fakes.FakeProvider",
        "OPTIONS": {"dimensions": 8, "max_batch": 4},
    },
    "fake-text": {
        "BACKEND": "tests.embeddings.fakes.FakeProvider",
        "OPTIONS": {"dimensions": 6, "image": False},
    },
}


@pytest.fixture
def fake_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    FakeProvider.reset()
    # No worker in these tests: the services are driven directly.
    monkeypatch.setattr(queue, "_wake", lambda space_id: None)
    with override_settings(EMBEDDING_PROVIDERS=PROVIDERS):
        yield
    FakeProvider.reset()
