"""API rate limits that fail open. DRF keeps its counters in the cache (Redis): when the
cache cannot be reached, a request is let through (and the lapse logged) instead of
failing with a 500 — a Redis restart must not take the API down with it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports this module while it loads
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class FailOpenThrottle(SimpleRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            logger.warning("rate limits not applied, the cache is unreachable: %s", exc)
            return True


class AnonThrottle(FailOpenThrottle, AnonRateThrottle):
    pass


class UserThrottle(FailOpenThrottle, UserRateThrottle):
    pass
