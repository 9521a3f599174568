"""The active spaces' HNSW indexes in memory: prewarmed with pg_prewarm, and `manage.py check`
says when the server's settings cannot hold them."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.db import connection

from embeddings import checks as embedding_checks
from embeddings.checks import check_database_memory
from embeddings.models import EmbeddingSpace
from embeddings.prewarm import (
    IndexSize,
    ServerMemory,
    active_index_sizes,
    indexes_prewarm,
    memory_advice,
    server_memory,
)
from embeddings.queue import space_embed_pending
from embeddings.spaces import space_create, space_retire
from searchapp.localstack import GB, MB
from tests.conftest import REPO_ROOT
from tests.embeddings.factories import make_item

MEMORY_IDS = {"embeddings.W010", "embeddings.W011", "embeddings.W012", "embeddings.W013"}


@pytest.fixture
def spaces(db: None, fake_providers: None) -> tuple[EmbeddingSpace, EmbeddingSpace]:
    """An active space with vectors in its index, and a retired one."""
    for n in range(30):
        make_item(f"item-{n}", title=f"Item number {n}", images=1)
    # Both indexes first: an index cannot be created after writes in the same transaction.
    active = space_create(name="fake", provider_alias="fake", activate=True)
    retired = space_create(name="fake-text", provider_alias="fake-text", activate=True)
    space_embed_pending(space=active)
    space_embed_pending(space=retired)
    space_retire(space=retired)
    return active, retired


def test_prewarm_reads_every_active_index_into_shared_buffers(
    spaces: tuple[EmbeddingSpace, EmbeddingSpace],
) -> None:
    active, _retired = spaces
    (loaded,) = indexes_prewarm()
    assert (loaded.space, loaded.index) == (active.name, active.index_name)
    (size,) = active_index_sizes()
    assert loaded.blocks > 0
    # pg_prewarm's count of blocks is the whole index, as its size on disk says.
    assert loaded.bytes == loaded.blocks * 8192 == size.bytes
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_prewarm'")
        assert cursor.fetchone() == ("pg_prewarm",)


def test_prewarm_command_says_what_it_loaded(spaces: tuple[EmbeddingSpace, ...]) -> None:
    out = StringIO()
    call_command("prewarm", stdout=out)
    (size,) = active_index_sizes()
    assert f"fake: {spaces[0].index_name}" in out.getvalue()
    assert f"Prewarmed 1 index(es): {size.bytes} bytes" in out.getvalue()


def test_without_the_extension_nothing_is_prewarmed(
    spaces: tuple[EmbeddingSpace, ...], caplog: pytest.LogCaptureFixture
) -> None:
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute("DROP EXTENSION pg_prewarm")
    with caplog.at_level("INFO", logger="embeddings.prewarm"):
        assert indexes_prewarm() == []
    assert "pg_prewarm is not installed" in caplog.text


# --- does the server hold them? -------------------------------------------------------------


ROOMY = ServerMemory(
    shared_buffers=4 * GB, effective_cache_size=12 * GB, maintenance_work_mem=2 * GB, jit=False
)
AT_1M = [IndexSize("clip", "embeddings_space_1_hnsw", 1000 * MB),
         IndexSize("minilm", "embeddings_space_2_hnsw", 600 * MB)]  # fmt: skip


def test_no_advice_when_the_server_holds_the_indexes() -> None:
    assert memory_advice(indexes=AT_1M, server=ROOMY) == []
    assert memory_advice(indexes=[], server=dataclasses.replace(ROOMY, shared_buffers=0)) == []


def test_advice_names_the_setting_and_the_value_to_raise_it_to() -> None:
    stock = ServerMemory(
        shared_buffers=128 * MB, effective_cache_size=1 * GB, maintenance_work_mem=64 * MB,
        jit=True,
    )  # fmt: skip
    advice = {entry.setting: entry.message for entry in memory_advice(indexes=AT_1M, server=stock)}
    assert list(advice) == ["shared_buffers", "effective_cache_size", "maintenance_work_mem", "jit"]
    # 1.6GB of indexes with a quarter more room, in steps of 128MB: 2GB.
    assert "shared_buffers (128MB) cannot hold" in advice["shared_buffers"]
    assert "(1.6GB in 2)" in advice["shared_buffers"]
    assert "at least 2GB" in advice["shared_buffers"]
    assert "effective_cache_size (1GB)" in advice["effective_cache_size"]
    assert "at least 2GB" in advice["effective_cache_size"]
    # The build holds one graph: the largest index, 1000MB -> 1280MB.
    assert "'clip' (1000MB)" in advice["maintenance_work_mem"]
    assert "at least 1280MB" in advice["maintenance_work_mem"]
    assert "jit = off" in advice["jit"]
    # Exactly enough is enough.
    exact = dataclasses.replace(ROOMY, shared_buffers=1600 * MB)
    assert memory_advice(indexes=AT_1M, server=exact) == []


def test_live_sizes_against_the_live_server(spaces: tuple[EmbeddingSpace, ...]) -> None:
    server = server_memory()
    indexes = active_index_sizes()
    assert server.jit is False
    assert memory_advice(indexes=indexes, server=server) == []
    assert check_database_memory() == []
    # The same live index against a server with less room than it needs.
    small = dataclasses.replace(server, shared_buffers=indexes[0].bytes - 8192)
    (advice,) = memory_advice(indexes=indexes, server=small)
    assert advice.setting == "shared_buffers"


def test_the_check_warns_with_its_own_id(
    spaces: tuple[EmbeddingSpace, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    small = dataclasses.replace(server_memory(), shared_buffers=8192, jit=True)
    monkeypatch.setattr(embedding_checks, "server_memory", lambda: small)
    found = {message.id: message for message in check_database_memory()}
    assert set(found) == {"embeddings.W010", "embeddings.W013"}
    assert all(message.level == checks.WARNING for message in found.values())


def test_check_is_silent_when_the_database_cannot_be_reached() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SEARCHAPP_")}
    env.update(
        DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing",
        REDIS_URL="redis://127.0.0.1:1/0",
        SEARCHAPP_EMBEDDING_PROVIDERS="{}",
        DJANGO_SETTINGS_MODULE="searchapp.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [check_id for check_id in MEMORY_IDS if check_id in result.stdout + result.stderr]
