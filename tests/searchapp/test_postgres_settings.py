"""The embedded PostgreSQL's settings for vectors: sized from the machine, overridable by
SEARCHAPP_PG_* variables, written to searchapp.conf, and really in force on the server."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from searchapp import localstack
from searchapp.localstack import GB, MB, LocalStackError, postgres_settings

SIZED = {
    # ram, cpus, shm -> shared_buffers, effective_cache_size, maintenance_work_mem,
    # max_parallel_maintenance_workers, max_parallel_workers, max_worker_processes
    "16GB, 8 cores": ((16 * GB, 8, 8 * GB), ("4GB", "8GB", "4GB", "7", "8", "12")),
    "2GB, 2 cores": ((2 * GB, 2, None), ("512MB", "1GB", "512MB", "1", "2", "8")),
    # shared_buffers stops at 8GB, maintenance_work_mem at 4GB.
    "128GB, 32 cores": ((128 * GB, 32, 64 * GB), ("8GB", "64GB", "4GB", "31", "32", "36")),
    # Never below PostgreSQL's own defaults; a small /dev/shm caps the build memory.
    "512MB, 1 core": ((512 * MB, 1, 64 * MB), ("128MB", "256MB", "64MB", "1", "1", "8")),
    "64GB, small /dev/shm": ((64 * GB, 4, 1 * GB), ("8GB", "32GB", "512MB", "3", "4", "8")),
    # Whole megabytes of an uneven amount of memory.
    "24e9 bytes, 2 cores": ((24_000_000_000, 2, None), ("5722MB", "11444MB", "4GB", "1", "2", "8")),
}


@pytest.mark.parametrize(("machine", "expected"), SIZED.values(), ids=SIZED.keys())
def test_settings_are_sized_from_the_machine(
    machine: tuple[int, int, int | None], expected: tuple[str, ...]
) -> None:
    ram, cpus, shm = machine
    assert postgres_settings(ram=ram, cpus=cpus, shm=shm, env={}) == {
        "shared_buffers": expected[0],
        "effective_cache_size": expected[1],
        "maintenance_work_mem": expected[2],
        "max_parallel_maintenance_workers": expected[3],
        "max_parallel_workers": expected[4],
        "max_worker_processes": expected[5],
        "jit": "off",
        "shared_preload_libraries": "pg_prewarm",
        "pg_prewarm.autoprewarm": "on",
    }


def test_each_setting_is_overridden_by_its_variable() -> None:
    env = {
        "SEARCHAPP_PG_SHARED_BUFFERS": "2GB",
        "SEARCHAPP_PG_MAINTENANCE_WORK_MEM": "1048576kB",
        "SEARCHAPP_PG_MAX_PARALLEL_MAINTENANCE_WORKERS": "3",
        "SEARCHAPP_PG_JIT": "true",
        "SEARCHAPP_PG_PG_PREWARM_AUTOPREWARM": "off",
        "SEARCHAPP_PG_SHARED_PRELOAD_LIBRARIES": "pg_prewarm,pg_stat_statements",
        "SEARCHAPP_PG_EFFECTIVE_CACHE_SIZE": "",  # empty: the computed value
    }
    tuned = postgres_settings(ram=16 * GB, cpus=8, env=env)
    assert tuned["shared_buffers"] == "2GB"
    assert tuned["maintenance_work_mem"] == "1GB"
    assert tuned["max_parallel_maintenance_workers"] == "3"
    assert tuned["jit"] == "on"
    assert tuned["pg_prewarm.autoprewarm"] == "off"
    assert tuned["shared_preload_libraries"] == "pg_prewarm,pg_stat_statements"
    assert tuned["effective_cache_size"] == "8GB"
    assert localstack.setting_env_name("pg_prewarm.autoprewarm") == (
        "SEARCHAPP_PG_PG_PREWARM_AUTOPREWARM"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SEARCHAPP_PG_SHARED_BUFFERS", "lots", "not a size"),
        ("SEARCHAPP_PG_SHARED_BUFFERS", "2 GiB", "not a size"),
        ("SEARCHAPP_PG_MAX_WORKER_PROCESSES", "-1", "not a whole number"),
        ("SEARCHAPP_PG_JIT", "maybe", "not on or off"),
    ],
)
def test_a_malformed_override_is_refused_by_name(variable: str, value: str, message: str) -> None:
    with pytest.raises(LocalStackError, match=message) as caught:
        postgres_settings(ram=4 * GB, cpus=2, env={variable: value})
    assert variable in str(caught.value)


def test_sizes_read_and_write_as_postgres_does() -> None:
    assert localstack.size_bytes("8kB") == 8192
    assert localstack.size_bytes("128") == 128 * 1024  # bare numbers are kB
    assert localstack.size_bytes("6026 MB") == 6026 * MB
    assert [localstack.size_text(n) for n in (4 * GB, 1536 * MB, 8192, 1000)] == [
        "4GB", "1536MB", "8kB", "1kB",
    ]  # fmt: skip


def test_running_values_are_compared_by_meaning_not_spelling() -> None:
    wanted = {"shared_buffers": "1GB", "jit": "off", "shared_preload_libraries": "pg_prewarm"}
    same = {"shared_buffers": "1024MB", "jit": "off", "shared_preload_libraries": '"pg_prewarm"'}
    assert localstack.settings_differing(same, wanted) == []
    stock = {"shared_buffers": "128MB", "jit": "on", "shared_preload_libraries": ""}
    assert localstack.settings_differing(stock, wanted) == list(wanted)
    # A custom setting the server does not know yet (its library is not loaded).
    assert localstack.settings_differing({}, {"pg_prewarm.autoprewarm": "on"}) == [
        "pg_prewarm.autoprewarm"
    ]


def _embedded_only() -> None:
    if os.environ.get("DATABASE_URL"):
        pytest.skip("an external server: its settings are its operator's (manage.py check)")


@pytest.mark.django_db
def test_the_test_server_runs_with_the_settings() -> None:
    _embedded_only()
    wanted = localstack.postgres_settings_from_env()
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
        cursor.execute(
            "SELECT name, current_setting(name, true) FROM unnest(%s::text[]) AS name",
            [list(wanted)],
        )
        current = dict(cursor.fetchall())
    assert localstack.settings_differing(current, wanted) == [], (
        f"the embedded server runs with {current}, searchapp.conf asks for {wanted}; if it was "
        "started before these settings existed: `.venv/bin/python -m searchapp.localstack restart`"
    )
    assert "pg_prewarm" in str(current["shared_preload_libraries"])
    assert current["pg_prewarm.autoprewarm"] == "on"


def test_the_settings_file_is_included_once() -> None:
    _embedded_only()
    data_dir = localstack.data_dir_from_env()
    localstack.ensure_postgres(data_dir)  # settings did once already: a second finds it
    pgdata = data_dir / "postgres"
    include = "include_if_exists = 'searchapp.conf'"
    assert (pgdata / "postgresql.conf").read_text().splitlines().count(include) == 1
    written = (pgdata / localstack.SETTINGS_FILE).read_text()
    for name, value in localstack.postgres_settings_from_env().items():
        assert f"{name} = '{value}'" in written


# --- a cluster of its own: the start, a change while running, a restart -----------------------


def _show(info: localstack.PostgresInfo, *names: str) -> list[str]:
    with psycopg.connect(
        host=str(info.socket_dir), port=info.port, user="postgres", dbname="postgres"
    ) as conn:
        return [conn.execute(f"SHOW {name}").fetchone()[0] for name in names]  # type: ignore[index]


@pytest.mark.slow
def test_a_start_applies_all_a_running_server_reloads_and_a_restart_applies_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    pgdata = data_dir / "postgres"
    monkeypatch.setenv("SEARCHAPP_PG_SHARED_BUFFERS", "160MB")
    monkeypatch.setenv("SEARCHAPP_PG_MAINTENANCE_WORK_MEM", "96MB")
    try:
        # A fresh cluster: initdb, then a start with every setting.
        info = localstack.ensure_postgres(data_dir)
        assert info.started
        assert _show(info, "shared_buffers", "maintenance_work_mem", "jit") == [
            "160MB", "96MB", "off",
        ]  # fmt: skip
        assert _show(info, "shared_preload_libraries", "pg_prewarm.autoprewarm") == [
            "pg_prewarm", "on",
        ]  # fmt: skip

        # Running: reloadable settings apply at once, a restart-only one is announced.
        monkeypatch.setenv("SEARCHAPP_PG_SHARED_BUFFERS", "192MB")
        monkeypatch.setenv("SEARCHAPP_PG_MAINTENANCE_WORK_MEM", "128MB")
        monkeypatch.setenv("SEARCHAPP_PG_JIT", "on")
        with caplog.at_level(logging.WARNING, logger="searchapp.localstack"):
            info = localstack.ensure_postgres(data_dir)
        assert not info.started
        assert _show(info, "shared_buffers", "maintenance_work_mem", "jit") == [
            "160MB", "128MB", "on",
        ]  # fmt: skip
        (warning,) = [r.getMessage() for r in caplog.records if r.name == "searchapp.localstack"]
        assert "shared_buffers=160MB" in warning and "shared_buffers=192MB" in warning
        assert "python -m searchapp.localstack restart" in warning
        assert "maintenance_work_mem" not in warning

        # autoprewarm writes the buffers it held at shutdown; a cold restart drops that list.
        assert localstack.stop_postgres(data_dir)
        assert (pgdata / localstack.AUTOPREWARM_FILE).exists()
        info = localstack.postgres_restart(data_dir, cold=True)
        assert not (pgdata / localstack.AUTOPREWARM_FILE).exists()
        assert _show(info, "shared_buffers", "jit") == ["192MB", "on"]

        # A restart of a running server applies everything too.
        monkeypatch.setenv("SEARCHAPP_PG_SHARED_BUFFERS", "224MB")
        info = localstack.postgres_restart(data_dir)
        assert info.started
        assert _show(info, "shared_buffers") == ["224MB"]
        include = "include_if_exists = 'searchapp.conf'"
        assert (pgdata / "postgresql.conf").read_text().splitlines().count(include) == 1
    finally:
        localstack.stop_postgres(data_dir)
