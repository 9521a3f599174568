"""`make run`: the whole application on one machine, stopped cleanly by Ctrl+C.

Starts the embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are set),
migrates, creates a demo admin if there is none, loads the demo catalog, gives every
configured embedding provider a space, reads the active spaces' HNSW indexes into memory
(`manage.py prewarm`), then runs a Celery worker (with the periodic sweeper) and the web
server until interrupted. On the way out it stops what it started, and only that: servers
it found already running are left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from searchapp import localstack

ROOT = Path(__file__).resolve().parent.parent


def worker_command(
    *, concurrency: str, beat_schedule: Path | None = None, name: str | None = None
) -> list[str]:
    """The Celery worker; with a beat schedule file it also runs the periodic sweeper."""
    command = [sys.executable, "-m", "celery", "-A", "searchapp", "worker", "-l", "info",
               "--concurrency", concurrency, "--without-gossip", "--without-mingle"]  # fmt: skip
    if name:
        command += ["-n", name]
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    return command


GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn.conf.py"


def web_command(*, bind: str, workers: str) -> list[str]:
    """gunicorn, as in production (Django's runserver answers keep-alive clients ~40 ms
    late: it writes headers and body in separate packets), with searchapp's settings for
    slow clients and its own errors (gunicorn.conf.py)."""
    return [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", bind,
            "--workers", workers]  # fmt: skip


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)  # noqa: S603


def _say(message: str) -> None:
    sys.stdout.write(f"[searchapp] {message}\n")
    sys.stdout.flush()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchapp.settings")
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("SEARCHAPP_HOST", "127.0.0.1")
    data_dir = localstack.data_dir_from_env()
    started: list[str] = []
    if not os.environ.get("DATABASE_URL"):
        if localstack.ensure_postgres(data_dir).started:
            started.append("postgres")
        _say(f"PostgreSQL (embedded, pgvector) data in {data_dir / 'postgres'}")
        tuned = localstack.postgres_settings_from_env()
        _say("PostgreSQL settings for vectors (SEARCHAPP_PG_* to change): " + ", ".join(
            f"{name} {tuned[name]}" for name in ("shared_buffers", "maintenance_work_mem")
        ))  # fmt: skip
    if not os.environ.get("REDIS_URL"):
        if localstack.ensure_redis(data_dir).started:
            started.append("redis")
        _say(f"Redis (embedded, append-only) data in {data_dir / 'redis'}")

    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        _manage("migrate", "--no-input", "-v", "0")
        _manage("create_demo_admin")
        _manage("load_demo")
        _manage("ensure_spaces")
        _manage("prewarm")
        concurrency = os.environ.get("SEARCHAPP_WORKER_CONCURRENCY", "2")
        # Each worker process gets its share of the cores for ONNX Runtime.
        cores = len(os.sched_getaffinity(0))
        threads = str(max(1, cores // max(1, int(concurrency))))
        worker_env = {"SEARCHAPP_ONNX_THREADS": threads, **os.environ}
        children.append(subprocess.Popen(  # noqa: S603
            worker_command(
                concurrency=concurrency, beat_schedule=data_dir / "celerybeat-schedule"
            ),
            cwd=ROOT,
            env=worker_env,
        ))  # fmt: skip
        web_workers = os.environ.get("SEARCHAPP_WEB_WORKERS", "2")
        children.append(subprocess.Popen(  # noqa: S603
            web_command(bind=f"{host}:{port}", workers=web_workers), cwd=ROOT
        ))  # fmt: skip
        _say(f"Open http://{host}:{port}/  (admin: /admin/, API docs: /api/v1/docs/)")
        _say("Press Ctrl+C to stop.")
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    _say(f"{child.args!r} exited with {child.returncode}; stopping.")
                    stopping = True
            time.sleep(0.2)
    except subprocess.CalledProcessError as exc:
        _say(f"setup step failed: {exc}")
        return 1
    finally:
        _shutdown(children)
        if "redis" in started:
            localstack.stop_redis(data_dir)
            _say("stopped embedded Redis")
        if "postgres" in started:
            localstack.stop_postgres(data_dir)
            _say("stopped embedded PostgreSQL")
    return 0


def _shutdown(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


if __name__ == "__main__":
    sys.exit(main())
