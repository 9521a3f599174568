from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_health_reports_database_and_broker() -> None:
    response = APIClient().get("/api/v1/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["database"]["pgvector"].startswith("0.8")
    assert body["database"]["server_version"].startswith("18")
    assert body["broker"]["ok"]


@pytest.mark.django_db
def test_health_says_which_part_is_down(settings: Any, tmp_path: Any) -> None:
    settings.CELERY_BROKER_URL = f"redis+socket://{tmp_path}/nothing.sock"
    response = APIClient().get("/api/v1/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["database"]["ok"]
    assert body["broker"]["ok"] is False and body["broker"]["error"]
