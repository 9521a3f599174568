"""A loopback load test: gunicorn (2 workers) and a Celery worker on a deployment of their
own, hit for 20 s by a fixed number of client threads with a fixed mix of text, image and
filtered searches and item creates. Afterwards: no 5xx, every created item stored and
embedded. Latencies are reported (pytest -s, or the JUnit properties), never asserted."""

from __future__ import annotations

import base64
import itertools
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import make_image_bytes, wait_until
from tests.reliability.stack import CATEGORIES, COLORS, Stack, write_catalog

pytestmark = pytest.mark.slow

LOAD_SECONDS = 20
CONCURRENCY = 8
SEED_ITEMS = 40
# Per ten requests: 3 text searches, 3 filtered searches, 2 image searches, 2 creates.
MIX = (
    "text",
    "filtered",
    "image",
    "text",
    "create",
    "filtered",
    "text",
    "image",
    "create",
    "filtered",
)
SPACES = ("tiny-clip", "tiny-minilm")
CLIENT_TIMEOUT = 30


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int  # 0: no answer (timeout, connection error)
    seconds: float
    external_id: str = ""  # creates
    with_image: bool = False
    error: str = ""


def _data_url(png: bytes) -> str:
    return f"data:image/png;base64,{base64.b64encode(png).decode()}"


QUERY_IMAGES = [_data_url(make_image_bytes(size=(32, 32), color=rgb)) for rgb in COLORS.values()]


def _request(client: httpx.Client, kind: str, thread: int, n: int) -> Sample:
    color = list(COLORS)[n % len(COLORS)]
    external_id = ""
    with_image = False
    started = time.perf_counter()
    try:
        if kind == "text":
            response = client.get("/api/v1/search/", params={"q": f"{color} lamp"})
        elif kind == "filtered":
            params: dict[str, str | int] = {
                "q": "lamp",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "price_max": 40,
            }
            response = client.get("/api/v1/search/", params=params)
        elif kind == "image":
            body = {"image": QUERY_IMAGES[n % len(QUERY_IMAGES)], "k": 10}
            response = client.post("/api/v1/search/", json=body)
        else:
            external_id = f"load-{thread}-{n}"
            with_image = n % 2 == 0
            item: dict[str, Any] = {
                "external_id": external_id,
                "title": f"{color.title()} load lamp {thread}-{n}",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "price": str(10 + n % 50),
            }
            if with_image:
                rgb = ((thread * 37 + n) % 256, n % 256, 90)
                item["images"] = [_data_url(make_image_bytes(size=(24, 24), color=rgb))]
            response = client.post("/api/v1/items/", json=item)
    except httpx.HTTPError as exc:
        return Sample(kind, 0, time.perf_counter() - started, external_id, with_image, repr(exc))
    error = "" if response.is_success else response.text[:300]
    return Sample(
        kind, response.status_code, time.perf_counter() - started, external_id, with_image, error
    )


def _client_thread(
    base: str, token: str, thread: int, deadline: float, samples: list[Sample]
) -> None:
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT, headers=headers) as client:
        for n in itertools.count():
            if time.monotonic() >= deadline:
                return
            samples.append(_request(client, MIX[(thread + n) % len(MIX)], thread, n))


def _milliseconds(samples: list[Sample], quantile: float) -> float:
    return round(float(np.quantile([s.seconds for s in samples], quantile)) * 1000, 1)


def test_mixed_load_has_no_server_errors_and_loses_no_write(
    make_stack: Callable[..., Stack],
    test_providers: dict[str, Any],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    stack = make_stack({alias: test_providers[alias] for alias in SPACES})
    stack.manage("ensure_spaces")
    path, seed = write_catalog(tmp_path / "catalog", rows=SEED_ITEMS)
    stack.manage("import_catalog", str(path))
    token = stack.create_curator_token()
    _, base = stack.start_web(workers=2)
    stack.start_worker("worker", beat=True)
    ready = "SELECT count(*) FROM embeddings_itemembeddingstate WHERE status = 'ready'"
    wait_until(lambda: stack.value(ready) == SEED_ITEMS * len(SPACES), 120, 0.5)

    samples: list[Sample] = []
    deadline = time.monotonic() + LOAD_SECONDS
    threads = [
        threading.Thread(target=_client_thread, args=(base, token, n, deadline, samples))
        for n in range(CONCURRENCY)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + CLIENT_TIMEOUT + 10)

    kinds = {kind: [s for s in samples if s.kind == kind] for kind in sorted(set(MIX))}
    report = {
        kind: {"requests": len(done), "p50_ms": _milliseconds(done, 0.5),
               "p99_ms": _milliseconds(done, 0.99)}
        for kind, done in kinds.items()
    }  # fmt: skip
    report["all"] = {"requests": len(samples), "p50_ms": _milliseconds(samples, 0.5),
                     "p99_ms": _milliseconds(samples, 0.99)}  # fmt: skip
    created = {s.external_id: s.with_image for s in kinds["create"] if s.status == 201}
    stored = {
        external_id: images
        for external_id, images in stack.rows(
            "SELECT i.external_id, count(im.id) FROM catalog_item i "
            "LEFT JOIN catalog_itemimage im ON im.item_id = i.id "
            "WHERE i.external_id LIKE 'load-%%' GROUP BY i.external_id"
        )
    }
    lost = len(set(created) - set(stored))
    record_property("load", report)
    record_property("items_created", len(created))
    record_property("items_lost", lost)
    lines = [f"{kind:>8}: {r['requests']:5d} requests, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms"
             for kind, r in report.items()]  # fmt: skip
    sys.stdout.write(
        f"\nload: {CONCURRENCY} clients for {LOAD_SECONDS} s\n" + "\n".join(lines)
        + f"\nitems created: {len(created)}, lost: {lost}\n"
    )  # fmt: skip

    assert [s for s in samples if s.status >= 500] == []
    assert [s for s in samples if s.status == 0] == []  # every request answered
    assert [s for s in samples if not 200 <= s.status < 300] == []
    assert all(kinds[kind] for kind in set(MIX))
    # No lost write: every 201 is in the database with its image, and nothing else is.
    assert lost == 0 and set(stored) == set(created)
    assert {eid: count for eid, count in stored.items()} == {
        eid: int(with_image) for eid, with_image in created.items()
    }
    # ...and every item, old and new, ends embedded in both spaces.
    total = len(seed) + len(created)
    assert stack.value("SELECT count(*) FROM catalog_item") == total
    wait_until(lambda: stack.value(ready) == total * len(SPACES), 180, 1)
    assert stack.states() == {"ready": total * len(SPACES)}
