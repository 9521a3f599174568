"""The HTTP side that Cohere's and Voyage's fakes share: one JSON POST endpoint behind a
bearer key (a key that starts with ``invalid`` is refused), each vendor's own words for
what goes wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


class BadRequest(Exception):
    """A body the vendor refuses with 400; the message is the vendor's."""


@dataclass(frozen=True)
class Wording:
    not_found: str
    not_allowed: str
    bad_key: str
    bad_json: str


def json_endpoint(
    request: httpx.Request,
    *,
    path: str,
    wording: Wording,
    error: Callable[[int, str], httpx.Response],
    embed: Callable[[Any], dict[str, Any]],
) -> httpx.Response:
    if request.url.path != path:
        return error(404, wording.not_found.format(path=request.url.path))
    if request.method != "POST":
        return error(405, wording.not_allowed)
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or not key or key.startswith("invalid"):
        return error(401, wording.bad_key)
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        return error(400, wording.bad_json)
    try:
        return httpx.Response(200, json=embed(body))
    except BadRequest as exc:
        return error(400, str(exc))
