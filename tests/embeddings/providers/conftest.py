"""What the provider tests share: a fake vendor behind the test transport, recorded waits,
and circuit breakers that do not leak from one test into the next."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from embeddings.providers import http
from embeddings.providers.base import InputType
from embeddings.providers.http import HttpProvider

DOCUMENT, QUERY = InputType.DOCUMENT, InputType.QUERY
Handler = Callable[[httpx.Request], httpx.Response]
Step = httpx.Response | Exception | Handler | None


class FakeVendor:
    """A vendor's fake (`handler`) behind the transport of every client built while it is
    installed. It records each request and answers with the scripted steps in turn (a
    response, an exception to raise, a handler, or None for the fake's own answer), then
    with `then`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.steps: list[Step] = []
        self.then: Step = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else self.then
        if step is None:
            return self.handler(request)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    def answer(self, *steps: Step, then: Step = None) -> FakeVendor:
        self.steps, self.then = list(steps), then
        return self

    def to(self, url: str) -> list[httpx.Request]:
        return [request for request in self.requests if str(request.url) == url]

    def bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests]


def install_vendor(monkeypatch: pytest.MonkeyPatch, handler: Handler) -> FakeVendor:
    vendor = FakeVendor(handler)
    monkeypatch.setattr(HttpProvider, "transport_factory", lambda: httpx.MockTransport(vendor))
    return vendor


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    http.reset_circuit_breakers()
    yield
    http.reset_circuit_breakers()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds each retry would have slept (nothing sleeps)."""
    recorded: list[float] = []
    monkeypatch.setattr(http.time, "sleep", recorded.append)
    return recorded
