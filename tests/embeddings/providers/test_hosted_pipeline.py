"""One end-to-end test per hosted provider through the real Celery pipeline: an item
created through the API is embedded by a real worker process whose HTTP transport is the
provider's in-memory fake vendor; the stored vectors are the ones that vendor returned."""

from __future__ import annotations

import base64
import importlib
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from embeddings import spaces as embedding_spaces
from embeddings.inputs import item_text
from embeddings.models import Embedding, ItemEmbeddingState
from embeddings.providers.base import ImagePart, TextPart, l2_normalise
from embeddings.providers.registry import providers
from tests.conftest import HOSTED_TEST_PROVIDERS, make_image_bytes, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("alias", sorted(HOSTED_TEST_PROVIDERS))
def test_hosted_provider_through_the_pipeline(
    alias: str,
    celery_worker: subprocess.Popen[bytes],
    tiny_providers: dict[str, Any],
    worker_media_root: Path,
    settings: Any,
    curator_client: APIClient,
) -> None:
    settings.MEDIA_ROOT = worker_media_root
    vendor = importlib.import_module(f"tests.embeddings.providers.vendors.{alias}")
    space = embedding_spaces.space_create(
        name=f"hosted-{alias}", provider_alias=alias, activate=True
    )
    png = make_image_bytes("PNG", size=(48, 32), color=(len(alias) * 20, 90, 40))
    payload: dict[str, Any] = {
        "external_id": f"e2e-{alias}",
        "title": f"Lamp for {alias}",
        "description": "Warm light.",
    }
    if space.embeds_images:
        payload["images"] = [f"data:image/png;base64,{base64.b64encode(png).decode()}"]
    response = curator_client.post("/api/v1/items/", payload, format="json")
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]

    def ready() -> bool:
        state = ItemEmbeddingState.objects.filter(space=space, item_id=item_id).first()
        assert state is None or state.status != "failed", state.last_error
        return state is not None and state.status == "ready"

    wait_until(ready, timeout=60, interval=0.2)
    from catalog.models import Item

    item = Item.objects.get(pk=item_id)
    dims = providers[alias].capabilities.dimensions
    rows = Embedding.objects.filter(space=space, item_id=item_id)
    expected_text = vendor.expected_vector(
        TextPart(item_text(item)), dimensions=dims, input_type="document"
    )
    stored_text = np.asarray(rows.get(image__isnull=True).vector, dtype=np.float32)
    assert np.allclose(stored_text, l2_normalise(expected_text)[0], atol=2e-4)
    if space.embeds_images:
        expected_image = vendor.expected_vector(
            ImagePart(png, "image/png"), dimensions=dims, input_type="document"
        )
        stored_image = np.asarray(rows.get(image__isnull=False).vector, dtype=np.float32)
        assert np.allclose(stored_image, l2_normalise(expected_image)[0], atol=2e-4)
    assert celery_worker.poll() is None
