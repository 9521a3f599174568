"""Writes of the gateway: keys and the usage they record."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
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
    """Add one request's usage to the key's row for this alias and day (UTC), and to the
    alias's own row (embeddings' accounting of every provider call). Concurrent requests
    add up: the increments run in the database, and a row created by another request
    meanwhile is updated instead."""
    provider_usage_record(alias=alias, usage=usage)
    counts = {"requests": 1, "inputs": usage.inputs, "text_tokens": usage.text_tokens,
              "images": usage.images, "image_pixels": usage.image_pixels}  # fmt: skip
    increments = {name: F(name) + value for name, value in counts.items()}
    today = timezone.now().date()  # USE_TZ: a UTC day
    rows = GatewayUsage.objects.filter(key=key, alias=alias, day=today)
    if not rows.update(**increments):
        try:
            with transaction.atomic():
                GatewayUsage.objects.create(key=key, alias=alias, day=today, **counts)
        except IntegrityError:
            rows.update(**increments)
    GatewayKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
