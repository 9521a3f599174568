"""What a web process does while a server it depends on is down (the fault tests in
tests/reliability drive the same paths with real processes and real restarts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from searchapp.middleware import DatabaseUnavailableMiddleware
from searchapp.throttles import AnonThrottle


def test_a_page_answers_503_with_a_message_while_the_database_is_down(rf: RequestFactory) -> None:
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())
    error = OperationalError('connection to server on socket "/x/.s.PGSQL.5432" failed')
    response = middleware.process_exception(rf.get("/?q=lamp"), error)
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "The database is unavailable; try again shortly." in page and "PGSQL" not in page
    assert middleware.process_exception(rf.get("/"), ValueError("a bug")) is None  # a real 500


def test_rate_limits_let_requests_through_while_the_cache_is_unreachable(
    settings: Any, tmp_path: Path
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{tmp_path}/no-redis.sock",
        }
    }
    request = Request(APIRequestFactory().get("/api/v1/items/"))
    assert AnonThrottle().allow_request(request, APIView())
