"""Thin Celery tasks: a search's log row, and the daily retention purge."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError

from analytics.services import search_log_create, search_logs_purge


@shared_task(
    name="analytics.log_search",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),  # the database restarting; the row is idempotent
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def log_search(record: dict[str, Any]) -> None:
    search_log_create(**record)


@shared_task(name="analytics.purge", ignore_result=True)
def purge() -> dict[str, int]:
    return {"deleted": search_logs_purge()}
