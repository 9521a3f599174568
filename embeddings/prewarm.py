"""Keeping the active spaces' HNSW indexes in memory.

A query walks the HNSW graph page by page: it is fast when those pages are in PostgreSQL's
shared buffers and pays a read for each one that is not. So the server must be able to
hold the active indexes (`memory_advice`, reported by `manage.py check`), and after a
restart they are loaded again before the first searches (`indexes_prewarm`, pg_prewarm;
autoprewarm on the embedded server reloads what the buffers held at shutdown as well).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from django.db import connection

from embeddings.models import EmbeddingSpace
from searchapp.localstack import GB, MB, size_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexSize:
    space: str
    index: str
    bytes: int


@dataclass(frozen=True)
class Prewarmed:
    space: str
    index: str
    blocks: int  # pages pg_prewarm read into shared buffers
    bytes: int


def active_index_sizes() -> list[IndexSize]:
    """The HNSW index of every active space that has one, with its size on disk."""
    spaces = {space.index_name: space for space in _active_spaces()}
    if not spaces:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, pg_relation_size(to_regclass(name)) FROM unnest(%s::text[]) AS name "
            "WHERE to_regclass(name) IS NOT NULL",
            [list(spaces)],
        )
        rows = cursor.fetchall()
    return [IndexSize(space=spaces[name].name, index=name, bytes=int(size)) for name, size in rows]


def _active_spaces() -> list[EmbeddingSpace]:
    return list(EmbeddingSpace.objects.filter(status=EmbeddingSpace.Status.ACTIVE))


def prewarm_available() -> bool:
    """Whether this database has the pg_prewarm extension (a migration creates it where the
    server ships it and the role may)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_prewarm'")
        return cursor.fetchone() is not None


def indexes_prewarm() -> list[Prewarmed]:
    """Read every active space's HNSW index into shared buffers (pg_prewarm's ``buffer``
    mode). Returns what was loaded; nothing, with a log line, when the database lacks the
    extension."""
    if not prewarm_available():
        logger.info("pg_prewarm is not installed in this database: no index prewarmed")
        return []
    loaded: list[Prewarmed] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('block_size')::int")
        (block_size,) = cursor.fetchone()
        for index in active_index_sizes():
            cursor.execute("SELECT pg_prewarm(to_regclass(%s))", [index.index])
            (blocks,) = cursor.fetchone()
            loaded.append(Prewarmed(space=index.space, index=index.index, blocks=int(blocks),
                                    bytes=int(blocks) * int(block_size)))  # fmt: skip
    logger.info(
        "prewarmed %d HNSW index(es) of active spaces: %s (%d bytes) in shared buffers",
        len(loaded),
        shown(sum(entry.bytes for entry in loaded)),
        sum(entry.bytes for entry in loaded),
    )
    return loaded


# --- does the server hold them? -------------------------------------------------------------


@dataclass(frozen=True)
class ServerMemory:
    """The server's settings that decide whether the indexes stay in memory, in bytes."""

    shared_buffers: int
    effective_cache_size: int
    maintenance_work_mem: int
    jit: bool


@dataclass(frozen=True)
class Advice:
    setting: str
    message: str


def server_memory() -> ServerMemory:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_bytes(current_setting('shared_buffers')), "
            "pg_size_bytes(current_setting('effective_cache_size')), "
            "pg_size_bytes(current_setting('maintenance_work_mem')), "
            "current_setting('jit') = 'on'"
        )
        shared_buffers, cache, maintenance, jit = cursor.fetchone()
    return ServerMemory(
        shared_buffers=int(shared_buffers),
        effective_cache_size=int(cache),
        maintenance_work_mem=int(maintenance),
        jit=bool(jit),
    )


# Room for the heap pages, other indexes and the graph's growth besides the HNSW pages.
HEADROOM = 1.25
_STEP = 128 * MB


def shown(size: int) -> str:
    """A size for people: 1.6GB, 412MB, 96kB."""
    if size >= GB:
        return f"{size / GB:.1f}GB"
    return f"{size / MB:.0f}MB" if size >= MB else f"{size / 1024:.0f}kB"


def _enough(size: int) -> int:
    """A setting that holds ``size`` with headroom, in whole steps of 128MB."""
    return max(1, math.ceil(size * HEADROOM / _STEP)) * _STEP


def memory_advice(*, indexes: list[IndexSize], server: ServerMemory) -> list[Advice]:
    """What to raise (or turn off) so the server holds and builds these indexes well."""
    advice: list[Advice] = []
    total = sum(index.bytes for index in indexes)
    largest = max(indexes, key=lambda index: index.bytes, default=None)
    held = f"the active spaces' HNSW indexes ({shown(total)} in {len(indexes)})"
    if total > server.shared_buffers:
        advice.append(Advice("shared_buffers", (
            f"shared_buffers ({size_text(server.shared_buffers)}) cannot hold {held}: "
            "searches read index pages from disk. Raise shared_buffers to at least "
            f"{size_text(_enough(total))} (a restart applies it), within about a quarter to 40% "
            "of the server's memory."
        )))  # fmt: skip
    if total > server.effective_cache_size:
        advice.append(Advice("effective_cache_size", (
            f"effective_cache_size ({size_text(server.effective_cache_size)}) is smaller than "
            f"{held}: the planner expects index scans to read from disk. Raise it to at least "
            f"{size_text(_enough(total))} (about half to three quarters of the server's memory)."
        )))  # fmt: skip
    if largest is not None and largest.bytes > server.maintenance_work_mem:
        advice.append(Advice("maintenance_work_mem", (
            f"maintenance_work_mem ({size_text(server.maintenance_work_mem)}) cannot hold the "
            f"HNSW graph of space {largest.space!r} ({shown(largest.bytes)}) while it is "
            "built: pgvector then finishes the build on a much slower path. Raise it to at "
            f"least {size_text(_enough(largest.bytes))} for index builds."
        )))  # fmt: skip
    if server.jit:
        advice.append(Advice("jit", (
            "jit is on: compiling a plan costs more than a millisecond vector query saves. "
            "Set jit = off."
        )))  # fmt: skip
    return advice
