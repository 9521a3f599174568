"""Faults the application survives, each with real processes on a deployment of its own
(tests/reliability/stack.py): a hosted provider failing, a worker killed mid-batch, Redis
and PostgreSQL restarted, imports racing each other."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import REPO_ROOT, wait_until
from tests.reliability.conftest import vendor_env
from tests.reliability.stack import Stack, expected_vectors, write_catalog
from tests.reliability.vendor import PROVIDER_ALIAS, provider_settings, set_mode

pytestmark = pytest.mark.slow

FLAKY = {PROVIDER_ALIAS: provider_settings()}
CIRCUIT_COOLDOWN = float(provider_settings()["OPTIONS"]["circuit_cooldown"])  # type: ignore[index]
ATTEMPTS = "SELECT DISTINCT attempts FROM embeddings_itemembeddingstate"
CLAIMED = (
    "SELECT item_id FROM embeddings_itemembeddingstate "
    "WHERE status = 'pending' AND leased_until > now()"
)


def _state_rows(stack: Stack) -> list[tuple[str, bool, str]]:
    return stack.rows(
        "SELECT status, retryable, last_error FROM embeddings_itemembeddingstate ORDER BY id"
    )


def _all_failed_with(stack: Stack, count: int, reason: str) -> Callable[[], bool]:
    def check() -> bool:
        rows = _state_rows(stack)
        return len(rows) == count and all(s == "failed" and reason in e for s, _, e in rows)

    return check


def _wait(stack: Stack, predicate: Callable[[], bool], timeout: float = 90) -> None:
    """wait_until, saying where the embedding states stand when it gives up."""
    try:
        wait_until(predicate, timeout, 0.5)
    except AssertionError as exc:
        summary = stack.rows(
            "SELECT status, attempts, left(last_error, 200), count(*) "
            "FROM embeddings_itemembeddingstate GROUP BY 1, 2, 3 ORDER BY 4 DESC"
        )
        raise AssertionError(f"{exc}; embedding states: {summary}") from None


def _all_ready(stack: Stack, count: int) -> Callable[[], bool]:
    return lambda: stack.states() == {"ready": count}


def _duplicate_vectors(stack: Stack) -> int:
    return int(
        stack.value(
            "SELECT count(*) FROM (SELECT 1 FROM embeddings_embedding "
            "GROUP BY space_id, item_id, image_id HAVING count(*) > 1) AS duplicates"
        )
    )


def _search(base: str, text: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/api/v1/search/", params={"q": text}, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_provider_outage_fails_items_with_the_reason_then_the_sweeper_recovers_them(
    make_stack: Callable[..., Stack], vendor_control: Path, tmp_path: Path
) -> None:
    stack = make_stack(
        FLAKY,
        **vendor_env(vendor_control),
        # One task retry, then the batch is failed; the sweeper retries failures at once.
        SEARCHAPP_EMBED_TASK_RETRIES="1",
        SEARCHAPP_EMBED_RETRY_FAILED_AFTER="0",
    )
    stack.manage("ensure_spaces")
    _, base = stack.start_web()
    stack.start_worker("worker")
    set_mode(vendor_control, "500")
    path, catalog = write_catalog(tmp_path / "catalog", rows=24)
    stack.manage("import_catalog", str(path))

    # The vendor answers 500: every item ends failed, retryable, with the vendor's words.
    _wait(stack, _all_failed_with(stack, len(catalog), "HTTP 500"))
    assert all(retryable for _, retryable, _ in _state_rows(stack))
    assert "server had an error" in _state_rows(stack)[0][2]
    # Search still answers: the space is reported skipped, full-text search answers.
    found = _search(base, "red lamp")
    assert found["mode"] == "lexical" and found["spaces"] == []
    assert any(s["part"] == PROVIDER_ALIAS and "500" in s["reason"] for s in found["skipped"])
    red = [row for row in catalog if row.title.startswith("Red")]
    top = [hit["item"]["external_id"] for hit in found["results"][: len(red)]]
    assert sorted(top) == sorted(row.external_id for row in red)

    assert {attempts for (attempts,) in stack.rows(ATTEMPTS)} == {1}  # one failed round

    # Now it times out instead. Once the worker's circuit lets a trial call through again,
    # the sweeper (sent by name, as beat sends it) retries them and they fail again.
    set_mode(vendor_control, "timeout")
    time.sleep(CIRCUIT_COOLDOWN + 0.5)
    stack.send_task("embeddings.sweep")
    _wait(stack, _all_failed_with(stack, len(catalog), "timed out"))
    found = _search(base, "green lamp")
    assert found["mode"] == "lexical" and found["results"]
    assert any("timed out" in s["reason"] for s in found["skipped"])

    assert {attempts for (attempts,) in stack.rows(ATTEMPTS)} == {2}

    # The vendor recovers: beat's next sweeps make every item ready, one vector per source.
    set_mode(vendor_control, "ok")
    stack.start_beat(SEARCHAPP_SWEEP_SECONDS="2")
    _wait(stack, _all_ready(stack, len(catalog)))
    assert stack.value("SELECT count(*) FROM embeddings_embedding") == expected_vectors(catalog)
    assert _duplicate_vectors(stack) == 0
    assert (
        stack.value("SELECT count(*) FROM embeddings_itemembeddingstate WHERE last_error <> ''")
        == 0
    )
    found = _search(base, "red lamp")
    assert found["spaces"] == [PROVIDER_ALIAS] and found["skipped"] == []


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    make_stack: Callable[..., Stack], vendor_control: Path, tmp_path: Path
) -> None:
    stack = make_stack(
        FLAKY,
        **vendor_env(vendor_control),
        SEARCHAPP_EMBED_LEASE_SECONDS="5",
        SEARCHAPP_EMBED_BATCH_ITEMS="5",
        SEARCHAPP_SWEEP_SECONDS="2",
    )
    stack.manage("ensure_spaces")
    path, catalog = write_catalog(tmp_path / "catalog", rows=20)
    stack.manage("import_catalog", str(path))  # no worker yet: the wake-ups wait in Redis
    set_mode(vendor_control, "slow 1.5")  # a batch takes two vendor calls: about 3 s
    first = stack.start_worker("first")

    def claimed() -> list[int]:
        return [item_id for (item_id,) in stack.rows(CLAIMED)]

    wait_until(lambda: len(claimed()) >= 2, 60, 0.1)
    stack.kill(first)  # SIGKILL to the worker and its pool: the batches in flight die
    in_flight = claimed()
    assert in_flight and stack.states().get("ready", 0) < len(catalog)

    set_mode(vendor_control, "ok")
    stack.start_worker("second", beat=True)  # as `make run` runs it: with the sweeper
    _wait(stack, _all_ready(stack, len(catalog)), 60)
    assert stack.value("SELECT count(*) FROM embeddings_embedding") == expected_vectors(catalog)
    assert _duplicate_vectors(stack) == 0
    with_vectors = {
        item_id for (item_id,) in stack.rows("SELECT item_id FROM embeddings_embedding")
    }
    assert set(in_flight) <= with_vectors and len(with_vectors) == len(catalog)


def test_queued_tasks_survive_a_redis_restart_and_writes_during_it_are_not_lost(
    make_stack: Callable[..., Stack], vendor_control: Path, tmp_path: Path
) -> None:
    stack = make_stack(FLAKY, **vendor_env(vendor_control), SEARCHAPP_THROTTLE="true")
    stack.manage("ensure_spaces")
    token = stack.create_curator_token()
    _, base = stack.start_web()
    path, catalog = write_catalog(tmp_path / "catalog", rows=10)
    backfill = stack.queued()  # the new space's backfill wake-up
    stack.manage("import_catalog", str(path))  # no worker: one wake-up per item waits
    queued = stack.queued()
    assert queued == backfill + len(catalog)

    stack.stop_redis()
    # The web process keeps taking writes and searches; the item is stored, its wake-up
    # cannot be sent (the sweeper finds the item pending later).
    client = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Token {token}"})
    during = client.post(
        "/api/v1/items/", json={"external_id": "during-outage", "title": "Red lamp in the dark"}
    )
    assert during.status_code == 201, during.text
    assert client.get("/api/v1/search/", params={"q": "red lamp"}).status_code == 200
    stack.start_redis()
    assert stack.queued() == queued  # append-only file: nothing queued was lost

    # The same web process reconnects: the next write's wake-up is queued again.
    after = client.post(
        "/api/v1/items/", json={"external_id": "after-restart", "title": "Blue lamp"}
    )
    assert after.status_code == 201, after.text
    assert stack.queued() == queued + 1
    assert stack.states() == {"pending": len(catalog) + 2}
    stack.start_worker("worker", beat=True, SEARCHAPP_SWEEP_SECONDS="2")
    _wait(stack, _all_ready(stack, len(catalog) + 2), 60)
    assert stack.value("SELECT count(*) FROM embeddings_embedding") == expected_vectors(catalog) + 2
    wait_until(lambda: stack.queued() == 0, 30, 0.2)


@dataclass(frozen=True)
class Sample:
    kind: str
    started: float
    ended: float
    status: int  # 0: no answer within the client's timeout, or no connection
    content_type: str
    body: str


# What a client sees during a database restart: API search, API item list, the health
# check, the search page.
TRAFFIC = [
    ("search", "/api/v1/search/?q=red+lamp"),
    ("items", "/api/v1/items/"),
    ("health", "/api/v1/health/"),
    ("page", "/?q=red+lamp"),
]
CLIENT_TIMEOUT = 15  # the bound on an answer: a hanging request fails the test


def _fire(base: str, samples: list[Sample], stop: threading.Event, offset: int) -> None:
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT) as client:
        for index in itertools.count(offset):
            if stop.is_set():
                return
            kind, url = TRAFFIC[index % len(TRAFFIC)]
            started = time.monotonic()
            try:
                response = client.get(url)
                answer = (
                    response.status_code,
                    response.headers.get("content-type", ""),
                    response.text,
                )
            except httpx.HTTPError as exc:
                answer = (0, "", repr(exc))
            samples.append(Sample(kind, started, time.monotonic(), *answer))


def _gunicorn_workers(web: subprocess.Popen[bytes]) -> set[int]:
    return {child.pid for child in psutil.Process(web.pid).children()}


def test_requests_during_a_postgres_restart_get_503_and_the_same_web_process_recovers(
    make_stack: Callable[..., Stack],
    vendor_control: Path,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    stack = make_stack(FLAKY, **vendor_env(vendor_control))
    stack.manage("ensure_spaces")
    path, _ = write_catalog(tmp_path / "catalog", rows=10)
    stack.manage("import_catalog", str(path))
    web, base = stack.start_web()
    workers = _gunicorn_workers(web)
    samples: list[Sample] = []
    stop = threading.Event()
    clients = [threading.Thread(target=_fire, args=(base, samples, stop, n)) for n in range(2)]
    for client in clients:
        client.start()

    def served_since(moment: float, status: int, count: int) -> Callable[[], bool]:
        def check() -> bool:
            kinds = [s.kind for s in samples if s.started >= moment and s.status == status]
            return all(kinds.count(kind) >= count for kind, _ in TRAFFIC)

        return check

    try:
        wait_until(served_since(0, 200, 2), 60, 0.05)
        stack.stop_postgres()
        stopped = time.monotonic()
        wait_until(served_since(stopped, 503, 3), 60, 0.05)
        restarting = time.monotonic()
        stack.start_postgres()
        started = time.monotonic()
        wait_until(served_since(started, 200, 3), 60, 0.05)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=CLIENT_TIMEOUT + 5)

    assert [s for s in samples if s.status not in (200, 503)] == []  # no 500, no hang
    outage = [s for s in samples if s.started >= stopped and s.ended <= restarting]
    assert {s.kind for s in outage} == {kind for kind, _ in TRAFFIC}
    for sample in outage:
        assert sample.status == 503, sample
        if sample.kind == "page":
            assert "text/html" in sample.content_type and "database is unavailable" in sample.body
            continue
        body = json.loads(sample.body)
        if sample.kind == "health":
            assert body["status"] == "degraded" and body["database"]["ok"] is False
        else:
            assert body["detail"] == "The database is unavailable; try again shortly."
    # Served again by the very same processes: nothing was restarted.
    assert web.poll() is None and _gunicorn_workers(web) == workers
    last = {s.kind: s.status for s in sorted(samples, key=lambda s: s.started)}
    assert last == {kind: 200 for kind, _ in TRAFFIC}
    record_property("requests", len(samples))
    record_property("requests_during_outage", len(outage))
    sys.stdout.write(
        f"\npostgres restart: {len(samples)} requests, {len(outage)} during the outage (all 503)\n"
    )


IMPORT_TROUBLE = ("deadlock", "IntegrityError", "Traceback", "duplicate key")


def _import_concurrently(stack: Stack, path: Path, processes: int) -> list[dict[str, int]]:
    """Run `import_catalog` on the same file in several processes at once; every one must
    succeed, and their summaries (created / updated / unchanged / failed) come back."""
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "import_catalog", str(path)]
    running = [
        subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=stack.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(processes)
    ]
    summaries = []
    for process in running:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-3000:]
        assert not [word for word in IMPORT_TROUBLE if word in out + err], out + err[-3000:]
        summary = {
            key: int(value)
            for key, value in re.findall(
                r"^\s+(created|updated|unchanged|failed): (\d+)", out, re.M
            )
        }
        assert summary["failed"] == 0, out
        summaries.append(summary)
    return summaries


def test_four_concurrent_imports_of_one_file_make_each_item_once(
    make_stack: Callable[..., Stack], vendor_control: Path, tmp_path: Path
) -> None:
    stack = make_stack(FLAKY, **vendor_env(vendor_control))
    stack.manage("ensure_spaces")  # a live space: every import also queues embedding work
    path, catalog = write_catalog(tmp_path / "catalog", rows=50)
    summaries = _import_concurrently(stack, path, 4)
    assert sum(s["created"] for s in summaries) == len(catalog)
    assert stack.value("SELECT count(*) FROM catalog_item") == len(catalog)
    assert sorted(eid for (eid,) in stack.rows("SELECT external_id FROM catalog_item")) == sorted(
        row.external_id for row in catalog
    )
    with_image = [row for row in catalog if row.image]
    assert stack.value("SELECT count(*) FROM catalog_itemimage") == len(with_image)
    assert stack.states() == {"pending": len(catalog)}  # one state per (item, space)

    # The same file changed (new titles, one more image each): four processes again.
    changed, _ = write_catalog(tmp_path / "changed", rows=50, images_every=1)
    text = changed.read_text().replace(" lamp number ", " light number ")
    changed.write_text(text)
    summaries = _import_concurrently(stack, changed, 4)
    assert sum(s["created"] for s in summaries) == 0
    titles = stack.rows("SELECT title FROM catalog_item")
    assert len(titles) == len(catalog) and all(" light number " in title for (title,) in titles)
    duplicates = stack.value(
        "SELECT count(*) FROM (SELECT 1 FROM catalog_itemimage "
        "GROUP BY item_id, sha256 HAVING count(*) > 1) AS duplicates"
    )
    assert duplicates == 0
    images = len(with_image) + sum(1 for row in catalog if not row.image)  # one new each
    assert stack.value("SELECT count(*) FROM catalog_itemimage") == images
    assert stack.states() == {"pending": len(catalog)}
