"""The embedded stack starts, is reused, stops and restarts without losing data."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from searchapp import localstack

pytestmark = pytest.mark.slow


def redis_command(socket_path: Path, *parts: str) -> bytes:
    payload = f"*{len(parts)}\r\n" + "".join(f"${len(p)}\r\n{p}\r\n" for p in parts)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(socket_path))
        sock.sendall(payload.encode())
        return sock.recv(1024)


def pg_connect(info: localstack.PostgresInfo) -> psycopg.Connection:
    return psycopg.connect(
        host=str(info.socket_dir),
        port=info.port,
        user="postgres",
        dbname=localstack.DATABASE_NAME,
        autocommit=True,
    )


def test_stack_starts_reuses_stops_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    try:
        pg = localstack.ensure_postgres(data_dir)
        redis = localstack.ensure_redis(data_dir)
        assert pg.started and redis.started
        with pg_connect(pg) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("CREATE TABLE kept (v vector(3))")
            conn.execute("INSERT INTO kept VALUES ('[1,2,3]')")
            version = conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname='vector'"
            ).fetchone()
        assert version is not None and version[0].startswith("0.8")
        assert redis_command(redis.socket_path, "SET", "kept", "yes") == b"+OK\r\n"

        # A second start finds the running servers and reuses them.
        assert not localstack.ensure_postgres(data_dir).started
        assert not localstack.ensure_redis(data_dir).started

        assert localstack.stop_redis(data_dir) and localstack.stop_postgres(data_dir)
        assert not localstack.redis_running(data_dir) and not localstack.postgres_running(data_dir)
        assert not localstack.stop_redis(data_dir) and not localstack.stop_postgres(data_dir)

        pg = localstack.ensure_postgres(data_dir)
        redis = localstack.ensure_redis(data_dir)
        assert pg.started and redis.started
        with pg_connect(pg) as conn:
            assert conn.execute("SELECT v::text FROM kept").fetchone() == ("[1,2,3]",)
        assert redis_command(redis.socket_path, "GET", "kept") == b"$3\r\nyes\r\n"
        assert (data_dir / "redis" / "appendonlydir").exists() or any(
            p.name.startswith("appendonly") for p in (data_dir / "redis").iterdir()
        )
    finally:
        localstack.stop_redis(data_dir)
        localstack.stop_postgres(data_dir)


def test_stale_pid_file_after_a_crash_is_ignored(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    try:
        localstack.ensure_postgres(data_dir)
        localstack.stop_postgres(data_dir)
        pid_file = data_dir / "postgres" / "postmaster.pid"
        pid_file.write_text("999999\n" + str(data_dir) + "\n0\n5432\n\n\n\nready\n")
        info = localstack.ensure_postgres(data_dir)
        assert info.started
    finally:
        localstack.stop_postgres(data_dir)
