"""Where a search reads: a read replica, or the default database (docs/scaling-out.md).

``SEARCHAPP_READ_REPLICA_URLS`` adds the aliases ``replica_1``, ``replica_2``, ... The
shopper-facing interfaces (the search page, the search / similar / facets / suggest API) run
a search inside ``search_reads()``, which picks one replica at random for that search. Inside
it, ORM reads go there through ``SearchReadsRouter`` and the search path's raw SQL takes its
connection from ``read_connection()`` (and ``transaction.atomic(using=read_alias())`` where
it sets ``SET LOCAL`` options). Writes always go to default: the usage a query embedding
records, anything saved. Outside ``search_reads()`` (the admin, curators' API calls and
previews, evaluation, tuning, workers) everything uses default, so those read their own
writes. Without replicas ``search_reads()`` picks default and nothing changes.

The choice lives in a context variable: a thread started inside a search reads default
unless it runs under ``contextvars.copy_context()``.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from pgvector.psycopg import register_vector

REPLICA_PREFIX = "replica_"

_read_alias: ContextVar[str | None] = ContextVar("searchapp_read_alias", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


@contextmanager
def search_reads(*, fresh: bool = False) -> Iterator[str]:
    """Reads inside go to one replica chosen for this search (its alias is yielded). Default
    instead when there is none, when ``fresh`` (the caller must see its own writes), or when
    default is inside a transaction (its uncommitted writes are not on any replica). A
    nested call keeps the outer choice."""
    chosen = _read_alias.get()
    if chosen is not None:
        yield chosen
        return
    replicas = replica_aliases()
    alias = DEFAULT_DB_ALIAS
    if replicas and not fresh and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        alias = random.choice(replicas)  # noqa: S311 - spreading load, not a secret
    token = _read_alias.set(alias)
    try:
        yield alias
    finally:
        _read_alias.reset(token)


def read_alias() -> str:
    """The alias the current search reads from (default outside ``search_reads()``)."""
    return _read_alias.get() or DEFAULT_DB_ALIAS


def read_connection() -> BaseDatabaseWrapper:
    """The connection for the search path's raw SQL reads."""
    return connections[read_alias()]


@contextmanager
def vector_cursor(wrapper: BaseDatabaseWrapper) -> Iterator[CursorWrapper]:
    """A cursor on ``wrapper``'s connection (inside its current transaction) with server-side
    binding, for statements that carry vectors: a NumPy array goes as pgvector's binary
    ``vector``, sent once per placeholder beside the statement instead of as a few kilobytes
    of digits inside it for the server to lex and parse (Django's cursors bind on the
    client). Django wraps it as it wraps its own cursors: its errors are Django's database
    errors, and query logging (``CaptureQueriesContext``, DEBUG) and execute wrappers see its
    statements."""
    wrapper.ensure_connection()
    raw = wrapper.connection
    if raw not in _VECTOR_CONNECTIONS:  # pgvector's adapters, once per connection
        register_vector(raw)
        _VECTOR_CONNECTIONS.add(raw)
    server_bound: Any = psycopg.Cursor(raw)  # django-stubs types this argument as a wrapper
    wrapped = (
        wrapper.make_debug_cursor(server_bound)
        if wrapper.queries_logged
        else wrapper.make_cursor(server_bound)
    )
    with wrapped:
        yield wrapped


_VECTOR_CONNECTIONS: weakref.WeakSet[Any] = weakref.WeakSet()


class SearchReadsRouter:
    """ORM reads inside ``search_reads()`` go to its alias; every other read, every write and
    every migration goes to default. Replicas are copies of default, so relations between
    objects loaded from either are allowed."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        ours = {DEFAULT_DB_ALIAS, *replica_aliases()}
        return True if {obj1._state.db, obj2._state.db} <= ours else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db.startswith(REPLICA_PREFIX) else None
