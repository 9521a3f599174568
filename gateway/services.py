"""Writes of the gateway: keys and the usage they record."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from embeddings.providers.base import Usage
from embeddings.space_provider import provider_usage_record
from gateway.models import GatewayKey, GatewayUsage

KEY_PREFIX = "sag-"  # searchapp gateway; tells a leaked key apart from other vendors'


def key_sha256(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: GatewayKey
    raw_key: str  # shown once; only its hash is stored


def gateway_key_create(
    *, name: str, requests_per_minute: int = 600, daily_input_quota: int = 1_000_000
) -> NewKey:
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    key = GatewayKey.objects.create(
        name=name,
        prefix=raw_key[:10],
        key_sha256=key_sha256(raw_key),
        requests_per_minute=requests_per_minute,
        daily_input_quota=daily_input_quota,
    )
    return NewKey(key=key, raw_key=raw_key)


def gateway_key_assign_secret(*, key: GatewayKey) -> str:
    """Give an unsaved key (the admin's add form) its secret; returns the raw key."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    key.prefix = raw_key[:10]
    key.key_sha256 = key_sha256(raw_key)
    return raw_key


def gateway_usage_record(*, key: GatewayKey, alias: str, usage: Usage) -> None:
    """Add one request's usage to the key's row for this alias and day (UTC), atomically,
    and to the alias's own row (embeddings' accounting of every provider call)."""
    provider_usage_record(alias=alias, usage=usage)
    table = GatewayUsage._meta.db_table
    counters = ("requests", "inputs", "text_tokens", "images", "image_pixels")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key_id, alias, day, {', '.join(counters)}) "  # noqa: S608 - fixed names
            f"VALUES (%s, %s, (now() AT TIME ZONE 'UTC')::date, "
            f"{', '.join(['%s'] * len(counters))}) ON CONFLICT (key_id, alias, day) DO UPDATE SET "
            + ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in counters),
            [key.pk, alias, 1, *(getattr(usage, name) for name in counters[1:])],
        )
    GatewayKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
