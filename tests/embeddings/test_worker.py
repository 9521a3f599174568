"""End to end with real processes: an item created through the API is embedded by a real
Celery worker (real ONNX models built by the tests) into Postgres, and its state ends ready;
the sweeper, run by that worker, retries what failed."""

from __future__ import annotations

import base64
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services as catalog_services
from embeddings.inputs import item_text
from embeddings.models import Embedding, ItemEmbeddingState
from embeddings.providers.base import ImagePart, InputType, TextPart
from embeddings.providers.registry import providers
from embeddings.spaces import space_create
from embeddings.tasks import sweep
from tests.conftest import make_image_bytes, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_item_created_through_the_api_is_embedded_by_a_worker(
    celery_worker: subprocess.Popen[bytes],
    tiny_providers: dict[str, Any],
    worker_media_root: Path,
    settings: Any,
    curator_client: APIClient,
) -> None:
    settings.MEDIA_ROOT = worker_media_root
    clip = space_create(name="tiny-clip", provider_alias="tiny-clip", activate=True)
    words = space_create(name="tiny-minilm", provider_alias="tiny-minilm", activate=True)
    assert (clip.embeds_text, clip.embeds_images, words.embeds_images) == (True, True, False)
    png = make_image_bytes("PNG", size=(40, 30), color=(10, 200, 30))
    response = curator_client.post(
        "/api/v1/items/",
        {"external_id": "e2e-1", "title": "Green lamp", "description": "A lamp, <b>green</b>.",
         "images": [f"data:image/png;base64,{base64.b64encode(png).decode()}"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]

    def all_ready() -> bool:
        states = ItemEmbeddingState.objects.filter(item_id=item_id)
        return states.count() == 2 and all(s.status == "ready" for s in states)

    wait_until(all_ready, timeout=90, interval=0.2)
    rows = Embedding.objects.filter(item_id=item_id)
    assert rows.filter(space=clip).count() == 2 and rows.filter(space=words).count() == 1

    # The stored vectors are exactly what the provider makes in this process.
    from catalog.models import Item

    item = Item.objects.get(pk=item_id)
    expected_text = providers["tiny-clip"].embed(
        [[TextPart(item_text(item))]], input_type=InputType.DOCUMENT
    )
    expected_image = providers["tiny-clip"].embed(
        [[ImagePart(png, "image/png")]], input_type=InputType.DOCUMENT
    )
    stored_text = np.array(rows.get(space=clip, image__isnull=True).vector)
    stored_image = np.array(rows.get(space=clip, image__isnull=False).vector)
    assert np.allclose(stored_text, expected_text.vectors[0], atol=1e-5)
    assert np.allclose(stored_image, expected_image.vectors[0], atol=1e-5)

    # A change of title re-embeds the text only; the worker stores the new vector.
    old_image_row = rows.get(space=clip, image__isnull=False)
    assert (
        curator_client.patch(
            f"/api/v1/items/{item_id}/", {"title": "Red lamp"}, format="json"
        ).status_code
        == 200
    )

    def text_updated() -> bool:
        row = Embedding.objects.get(space=clip, item_id=item_id, image__isnull=True)
        return not np.allclose(np.array(row.vector), stored_text) and all_ready()

    wait_until(text_updated, timeout=60, interval=0.2)
    assert Embedding.objects.get(pk=old_image_row.pk).embedded_at == old_image_row.embedded_at
    assert celery_worker.poll() is None


def test_the_sweeper_run_by_a_worker_retries_a_transient_failure(
    celery_worker: subprocess.Popen[bytes], tiny_providers: dict[str, Any]
) -> None:
    """The round trip through a real worker: the periodic sweep task (sent here as beat
    would) puts a retryable failure back in the queue, and the wake-up it sends embeds it."""
    words = space_create(name="tiny-minilm", provider_alias="tiny-minilm", activate=True)
    item = catalog_services.item_create(external_id="sweep-1", title="Blue kettle")
    states = ItemEmbeddingState.objects.filter(space=words, item=item)
    wait_until(lambda: states.get().status == "ready", timeout=60, interval=0.2)
    states.update(status="failed", retryable=True, attempts=1, last_error="503 (injected)",
                  updated_at=timezone.now() - timedelta(hours=1))  # fmt: skip
    sweep.delay()
    wait_until(lambda: states.get().status == "ready", timeout=60, interval=0.2)
    state = states.get()
    assert (state.attempts, state.last_error, state.retryable) == (0, "", False)
    assert celery_worker.poll() is None
