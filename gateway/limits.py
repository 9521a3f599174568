"""Per-key request rates (a fixed one-minute window in the cache, i.e. Redis) and daily input
quotas (from the usage table). Over either: GatewayError RATE_LIMITED / QUOTA_EXCEEDED with
the seconds until it resets. Like the API's throttles, rates fail open when the cache is
unreachable (a Redis restart must not take the gateway down)."""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from redis.exceptions import RedisError

from gateway.errors import GatewayError, Kind
from gateway.models import GatewayKey
from gateway.selectors import key_inputs_today

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60


def key_rate_check(*, key: GatewayKey) -> None:
    limit = key.requests_per_minute
    if not limit:
        return
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    name = f"gateway:rate:{key.pk}:{window}"
    try:
        cache.add(name, 0, timeout=WINDOW_SECONDS * 2)
        used = cache.incr(name)
    except (RedisError, OSError, ValueError) as exc:
        logger.warning("gateway rate limits not applied, the cache is unreachable: %s", exc)
        return
    if used > limit:
        wait = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise GatewayError(
            Kind.RATE_LIMITED,
            f"Rate limit reached for key {key.prefix}… on requests per min: limit {limit}, "
            f"used {limit}, requested 1. Please try again in {wait}s.",
            retry_after=wait,
        )


def key_quota_check(*, key: GatewayKey, inputs: int) -> None:
    quota = key.daily_input_quota
    if not quota:
        return
    used = key_inputs_today(key=key)
    if used + inputs > quota:
        now = datetime.now(UTC)
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        wait = max(1, math.ceil((midnight - now).total_seconds()))
        raise GatewayError(
            Kind.QUOTA_EXCEEDED,
            f"You exceeded the daily quota of key {key.prefix}…: {quota} inputs a day (UTC), "
            f"{used} used, {inputs} requested. It resets at midnight UTC.",
            retry_after=wait,
        )
