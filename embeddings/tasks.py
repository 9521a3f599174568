"""Thin Celery tasks: ids in, re-fetch, one service call."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from embeddings.models import LIVE_STATUSES, EmbeddingSpace
from embeddings.providers.base import TransientProviderError
from embeddings.queue import embedding_sweep, space_embed_pending


@shared_task(
    bind=True,
    name="embeddings.embed_pending",
    acks_late=True,
    # Nobody reads the result: storing it would also make every wake-up wait on the result
    # backend (20 reconnects, a second apart) while Redis is down.
    ignore_result=True,
    autoretry_for=(TransientProviderError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    # After the last retry the batch is marked failed (retryable): the sweeper takes it up.
    max_retries=settings.SEARCHAPP_EMBED_TASK_RETRIES,
)
def embed_pending(self: Task[Any, Any], space_id: int) -> dict[str, int]:
    space = EmbeddingSpace.objects.filter(pk=space_id, status__in=LIVE_STATUSES).first()
    if space is None:
        return {"claimed": 0}
    report = space_embed_pending(
        space=space, final_attempt=self.request.retries >= (self.max_retries or 0)
    )
    return {
        "claimed": report.claimed,
        "ready": report.ready,
        "failed": report.failed,
        "requeued": report.requeued,
    }


@shared_task(name="embeddings.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    report = embedding_sweep()
    return {"woken_spaces": len(report.woken_spaces), "retried_failed": report.retried_failed}
