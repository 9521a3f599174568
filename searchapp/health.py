"""Reads the state of the services the application depends on."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        details = check()
    except Exception as exc:  # any failure is a state to report, not a crash
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2), **details}


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), extversion FROM pg_extension "
            "WHERE extname = 'vector'"
        )
        row = cursor.fetchone()
    if row is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version')")
            return {"server_version": cursor.fetchone()[0], "pgvector": None}
    return {"server_version": row[0], "pgvector": row[1]}


def _broker() -> dict[str, Any]:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        conn.default_channel.client.ping()  # type: ignore[attr-defined]
        return {"transport": conn.transport_cls}


def health_status() -> dict[str, Any]:
    database = _timed(_database)
    broker = _timed(_broker)
    ok = database["ok"] and broker["ok"]
    return {
        "status": "ok" if ok else "degraded",
        "database": database,
        "broker": broker,
    }
