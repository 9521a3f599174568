"""The read-replica router (searchapp/db.py) decides without a replica; a real streaming
replica is in test_replica_streaming.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from catalog.models import Item
from searchapp.db import SearchReadsRouter, read_alias, read_connection, search_reads
from tests.searchapp.test_settings import load_settings

ROUTER = SearchReadsRouter()


@pytest.mark.django_db
def test_without_replicas_every_read_and_write_goes_to_default() -> None:
    assert settings.DATABASE_ROUTERS == ["searchapp.db.SearchReadsRouter"]
    assert [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS] == []
    assert ROUTER.db_for_read(Item) == DEFAULT_DB_ALIAS
    with search_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS == read_alias()
        assert read_connection() is connections[DEFAULT_DB_ALIAS]
        assert ROUTER.db_for_read(Item) == ROUTER.db_for_write(Item) == DEFAULT_DB_ALIAS
        assert Item.objects.all().db == DEFAULT_DB_ALIAS
    assert ROUTER.allow_migrate(DEFAULT_DB_ALIAS, "catalog") is None  # Django's default: yes


@pytest.fixture
def two_replicas(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two replica aliases in the settings, pointing nowhere: the choice is made without
    connecting (these tests open no database connection)."""
    aliases = ["replica_1", "replica_2"]
    for alias in aliases:
        entry = {**connections[DEFAULT_DB_ALIAS].settings_dict, "HOST": "/nonexistent"}
        monkeypatch.setitem(settings.DATABASES, alias, entry)
    return aliases


def test_a_search_reads_one_replica_and_writes_still_go_to_default(
    two_replicas: list[str],
) -> None:
    assert read_alias() == DEFAULT_DB_ALIAS  # outside a search
    chosen = set()
    for _ in range(40):
        with search_reads() as alias:
            assert alias in two_replicas and read_alias() == alias
            assert read_connection() is connections[alias]
            assert ROUTER.db_for_read(Item) == alias
            assert Item.objects.all().db == alias
            assert ROUTER.db_for_write(Item) == DEFAULT_DB_ALIAS
            assert Item.objects.select_for_update().db == DEFAULT_DB_ALIAS
            with search_reads(fresh=True) as nested:  # a nested call keeps the outer choice
                assert nested == alias
            chosen.add(alias)
        assert read_alias() == DEFAULT_DB_ALIAS
    assert chosen == set(two_replicas)  # random: 40 draws leave none out (p = 2^-39)
    assert ROUTER.allow_migrate("replica_2", "catalog") is False
    on_replica, on_default = Item(), Item()
    on_replica._state.db, on_default._state.db = "replica_1", DEFAULT_DB_ALIAS
    assert ROUTER.allow_relation(on_replica, on_default) is True


def test_fresh_reads_and_reads_inside_a_transaction_stay_on_default(
    two_replicas: list[str],
) -> None:
    with search_reads(fresh=True) as alias:
        assert alias == DEFAULT_DB_ALIAS == ROUTER.db_for_read(Item)
    default = connections[DEFAULT_DB_ALIAS]
    default.in_atomic_block = True  # what transaction.atomic() sets (without connecting)
    try:
        with search_reads() as alias:
            assert alias == DEFAULT_DB_ALIAS  # its uncommitted writes are on no replica
    finally:
        default.in_atomic_block = False


def test_replica_urls_become_aliases_that_mirror_default_in_tests(tmp_path: Path) -> None:
    urls = (
        "postgres://reader:pw@10.0.0.2:6432/shop,postgresql://reader@replica-b/shop?sslmode=require"
    )
    shown = (
        "{a: (d['HOST'], d['PORT'], d['NAME'], d['OPTIONS'], d.get('TEST', {}), "
        "d['DISABLE_SERVER_SIDE_CURSORS']) for a, d in s.DATABASES.items()}"
    )
    result = load_settings(tmp_path, show=shown, SEARCHAPP_READ_REPLICA_URLS=urls,
                           SEARCHAPP_DB_DISABLE_SERVER_SIDE_CURSORS="true")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == str(
        {
            "default": ("127.0.0.1", "9", "none", {}, {}, True),
            "replica_1": ("10.0.0.2", "6432", "shop", {}, {"MIRROR": "default"}, True),
            "replica_2": (
                "replica-b",
                "",
                "shop",
                {"sslmode": "require"},
                {"MIRROR": "default"},
                True,
            ),
        }  # fmt: skip
    )
    alone = load_settings(tmp_path, show="sorted(s.DATABASES), s.DATABASE_ROUTERS")
    assert alone.stdout.strip() == "['default'] ['searchapp.db.SearchReadsRouter']"
    refused = load_settings(tmp_path, SEARCHAPP_READ_REPLICA_URLS="mysql://x@y/z")
    assert refused.returncode != 0
    assert "SEARCHAPP_READ_REPLICA_URLS: expected a postgres:// URL" in refused.stderr
