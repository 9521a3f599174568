from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from searchapp.env import database_from_url, env_bool, env_int, env_networks


def test_database_url_parsing() -> None:
    db = database_from_url("postgres://app:s%40cret@db.example:6543/catalog?sslmode=require")
    assert db["NAME"] == "catalog" and db["USER"] == "app" and db["PASSWORD"] == "s@cret"
    assert db["HOST"] == "db.example" and db["PORT"] == "6543"
    assert db["OPTIONS"] == {"sslmode": "require"}
    socket_db = database_from_url("postgresql:///catalog?host=/run/postgresql")
    assert socket_db["HOST"] == "/run/postgresql" and socket_db["OPTIONS"] == {}


def test_database_url_must_be_postgres() -> None:
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        database_from_url("mysql://app@db.example/catalog")


def test_typed_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    assert env_bool("X_BOOL") is True and env_int("X_INT", 0) == 12
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 0)


def test_networks_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_networks("X_NETWORKS") == []
    monkeypatch.setenv("X_NETWORKS", " 10.20.0.0/16, 127.0.0.2 ,fd00:1::/64,192.168.1.7/24,")
    assert env_networks("X_NETWORKS") == [
        "10.20.0.0/16",
        "127.0.0.2/32",
        "fd00:1::/64",
        "192.168.1.0/24",
    ]
    monkeypatch.setenv("X_NETWORKS", "10.0.0.0/8,intranet")
    with pytest.raises(ImproperlyConfigured, match="'intranet' is not an IP network"):
        env_networks("X_NETWORKS")
