"""API rate limits: anonymous clients per address, signed-in users per account, and the
token endpoint per address (password guessing). Each answers 429 with Retry-After.

DRF reads rates once, when its classes are defined; these read them (and the
SEARCHAPP_THROTTLE switch) per request, so settings changed at run time apply. They fail
open: DRF keeps its counters in the cache (Redis), and when the cache cannot be reached a
request is let through (and the lapse logged) instead of failing with a 500 — a Redis
restart must not take the API down with it."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class _FromSettings(throttling.SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        if not settings.SEARCHAPP_THROTTLE:
            return True
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            logger.warning("rate limits not applied, the cache is unreachable: %s", exc)
            return True


class AnonThrottle(_FromSettings, throttling.AnonRateThrottle):
    pass


class UserThrottle(_FromSettings, throttling.UserRateThrottle):
    pass


class LoginThrottle(_FromSettings):
    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
