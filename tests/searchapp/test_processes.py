"""Whole processes, as an operator runs them: migrations on an empty database, `make run`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

from catalog.demo import demo_items
from tests.conftest import REPO_ROOT, spare_redis_db, wait_until

pytestmark = pytest.mark.slow


def _admin_connection() -> psycopg.Connection:
    db: dict[str, Any] = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def empty_database() -> Iterator[str]:
    name = f"searchapp_scratch_{os.getpid()}"
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(database: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SEARCHAPP_DATABASE_NAME": database,
        "DJANGO_SETTINGS_MODULE": "searchapp.settings",
        **extra,
    }


def test_migrations_apply_to_an_empty_database(empty_database: str) -> None:
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--no-input"],
        env=_env(empty_database),
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
    )
    with _admin_connection() as conn:
        conn.execute("SELECT 1")
    db: dict[str, Any] = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or None, user=db["USER"], dbname=empty_database
    ) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname='vector'").fetchone()
        assert conn.execute("SELECT 1 FROM pg_extension WHERE extname='pg_prewarm'").fetchone()
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname='public'"
            ).fetchall()
        }
    assert {"catalog_item", "catalog_itemimage"} <= tables
    check = subprocess.run(
        [*manage, "makemigrations", "--check", "--dry-run"],
        env=_env(empty_database),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, f"models changed without a migration:\n{check.stdout}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def test_make_run_serves_the_demo_embeds_it_and_stops_on_ctrl_c(
    empty_database: str, tmp_path: Path, tiny_model_dir: Path
) -> None:
    port = _free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "searchapp.run"],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(
                empty_database,
                PORT=str(port),
                SEARCHAPP_MEDIA_ROOT=str(tmp_path / "media"),
                SEARCHAPP_MODEL_DIR=str(tiny_model_dir),
                # Its own broker database: the suite's worker must not take its tasks.
                SEARCHAPP_REDIS_DB=str(spare_redis_db()),
            ),
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: _get(f"{base}/api/v1/health/")[0] == 200 or process.poll() is not None, 120, 0.5
        )
        assert process.poll() is None, log.read_text()[-3000:]
        status, home = _get(f"{base}/")
        assert status == 200 and f"{len(demo_items())} items" in home and "/media/items/" in home
        status, api = _get(f"{base}/api/v1/items/?category=Kitchen")
        assert status == 200 and '"count":4' in api.replace(" ", "")

        # The worker embeds the demo catalog in the background, in a space per model.
        def embedded() -> bool:
            status, body = _get(f"{base}/api/v1/spaces/")
            spaces = json.loads(body) if status == 200 else []
            return len(spaces) == 2 and all(
                s["progress"]["ready"] == len(demo_items()) for s in spaces
            )

        wait_until(embedded, 120, 0.5)
        output = log.read_text()
        assert "admin" in output and "password" in output
        assert "Demo catalog:" in output
        assert "Prewarmed 2 index(es)" in output  # the spaces' indexes, read into memory
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
        assert process.wait(timeout=60) == 0, log.read_text()[-3000:]
        wait_until(lambda: _get(f"{base}/")[0] == 0, 10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
