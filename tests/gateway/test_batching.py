"""Concurrent requests for one model are embedded in shared provider calls, each request
gets its own rows, and a request the provider refuses fails alone."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from embeddings.providers.base import ImagePart, InputType, PermanentProviderError, TextPart
from gateway.batching import MicroBatcher, worker_pool_stop
from tests.gateway.conftest import local_vector

WORDS = ["a red shoe", "a blue dress", "green bag", "the man is eating food", "women"]


@pytest.fixture
def batcher(tiny_providers: Any, settings: Any) -> Any:
    settings.SEARCHAPP_GATEWAY_BATCH_WINDOW_MS = 50.0
    settings.SEARCHAPP_GATEWAY_MAX_BATCH = 64
    batcher = MicroBatcher()
    yield batcher
    batcher.reset()


def test_concurrent_requests_share_provider_calls(batcher: MicroBatcher) -> None:
    requests = [[(TextPart(WORDS[(i + j) % 5]),) for j in range(3)] for i in range(16)]
    start = threading.Barrier(16)

    def send(inputs: Any) -> Any:
        start.wait()
        return batcher.embed("tiny-minilm", inputs, input_type=InputType.DOCUMENT)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, requests))
    lane = batcher.lane("tiny-minilm", InputType.DOCUMENT)
    assert lane.batches < 16 / 2  # most requests joined another's call
    for inputs, vectors in zip(requests, answers, strict=True):
        assert vectors.shape == (3, 6)
        for (part,), vector in zip(inputs, vectors, strict=True):
            np.testing.assert_allclose(vector, local_vector("tiny-minilm", part), atol=1e-6)


def test_a_batch_never_exceeds_the_maximum(batcher: MicroBatcher, settings: Any) -> None:
    settings.SEARCHAPP_GATEWAY_MAX_BATCH = 4
    lane = batcher.lane("tiny-minilm", InputType.QUERY)
    futures = [lane.submit([(TextPart("red"),)] * 3) for _ in range(6)]
    assert all(future.result().shape == (3, 6) for future in futures)
    assert lane.batches == 6  # 3 + 3 > 4: one request per call


def test_a_refused_request_fails_alone(batcher: MicroBatcher) -> None:
    lane = batcher.lane("tiny-clip", InputType.DOCUMENT)
    good = [(TextPart("a photo of a cat"),)]
    bad = [(ImagePart(b"not an image at all", "image/png"),)]
    futures = [lane.submit(good), lane.submit(bad), lane.submit(good)]
    np.testing.assert_allclose(futures[0].result()[0],
                               local_vector("tiny-clip", TextPart("a photo of a cat")), atol=1e-6)  # fmt: skip
    with pytest.raises(PermanentProviderError):
        futures[1].result()
    assert futures[2].result().shape == (1, 4)


def test_lanes_are_per_model_and_input_type(batcher: MicroBatcher) -> None:
    assert batcher.lane("tiny-minilm", InputType.QUERY) is batcher.lane(
        "tiny-minilm", InputType.QUERY
    )
    assert batcher.lane("tiny-minilm", InputType.QUERY) is not batcher.lane(
        "tiny-minilm", InputType.DOCUMENT)  # fmt: skip
    lane = batcher.lane("tiny-clip", InputType.QUERY)
    batcher.reset()
    lane.thread.join(timeout=5)
    assert not lane.thread.is_alive()


def test_batches_can_run_in_worker_processes(
    batcher: MicroBatcher, settings: Any, monkeypatch: pytest.MonkeyPatch, tiny_providers: Any
) -> None:
    monkeypatch.setenv("SEARCHAPP_EMBEDDING_PROVIDERS", json.dumps(tiny_providers))
    settings.SEARCHAPP_GATEWAY_WORKER_PROCESSES = 2
    try:
        lane = batcher.lane("tiny-minilm", InputType.DOCUMENT)
        assert lane.pool is not None
        futures = [lane.submit([(TextPart(word),)]) for word in WORDS]
        for word, future in zip(WORDS, futures, strict=True):
            np.testing.assert_allclose(future.result(timeout=120)[0],
                                       local_vector("tiny-minilm", TextPart(word)), atol=1e-6)  # fmt: skip
        bad = lane.submit([(ImagePart(b"not an image", "image/png"),)])
        with pytest.raises(PermanentProviderError):
            bad.result(timeout=60)
    finally:
        worker_pool_stop()
