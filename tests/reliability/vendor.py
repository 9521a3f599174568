"""A hosted embedding vendor whose health a test switches from outside the process.

The OpenAI-compatible fake of tests/embeddings/providers/vendors answers, unless the file
named by SEARCHAPP_TEST_VENDOR_CONTROL says otherwise. Every process that embeds (workers,
web processes) reads the file on each request, so a test switches the vendor for all of
them at once by rewriting it:

- ``ok`` (or no file): normal answers;
- ``500``: HTTP 500 with OpenAI's server-error body;
- ``timeout``: waits out the client's read timeout, then the read times out (what httpx
  raises when a server accepts the request but never answers);
- ``slow <seconds>``: answers normally after that many seconds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from tests.embeddings.providers.vendors import openai_compatible

CONTROL_ENV = "SEARCHAPP_TEST_VENDOR_CONTROL"
PROVIDER_ALIAS = "flaky"


def provider_settings(**options: object) -> dict[str, object]:
    """EMBEDDING_PROVIDERS entry of the alias ``flaky``: an OpenAI-compatible CLIP server
    (text and images, 512 dimensions) on this fake, with short retries and timeouts."""
    return {
        "BACKEND": "embeddings.providers.openai_compatible.OpenAICompatibleProvider",
        "OPTIONS": {
            "base_url": "http://vendor.test",
            "model": "clip",
            "dimensions": 512,
            "images": True,
            "api_key": "test-key-flaky",
            "transport": "tests.reliability.vendor.transport",
            "max_retries": 1,
            "backoff": 0.05,
            "timeout": 1,
            "query_timeout": 1,
            "circuit_cooldown": 1,
            **options,
        },
    }


def set_mode(control: Path, mode: str) -> None:
    control.write_text(mode)


def _mode() -> list[str]:
    path = os.environ.get(CONTROL_ENV)
    if not path:
        return ["ok"]
    try:
        return Path(path).read_text().split() or ["ok"]
    except FileNotFoundError:
        return ["ok"]


def handler(request: httpx.Request) -> httpx.Response:
    mode = _mode()
    if mode[0] == "500":
        return httpx.Response(
            500,
            json={"error": {"message": "The server had an error while processing your request.",
                            "type": "server_error", "param": None, "code": None}},
        )  # fmt: skip
    if mode[0] == "timeout":
        timeouts = request.extensions.get("timeout", {})
        time.sleep(float(timeouts.get("read") or 1))
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    if mode[0] == "slow":
        time.sleep(float(mode[1]))
    return openai_compatible.handler(request)


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)
