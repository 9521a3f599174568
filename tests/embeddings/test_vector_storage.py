"""Vectors live in the embeddings row (STORAGE MAIN), not in the TOAST table: a search that
reads 40 rows reads 40 rows, not 40 rows and 40 TOAST lookups."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from catalog import services as catalog_services
from embeddings.models import Embedding, EmbeddingSpace

pytestmark = pytest.mark.django_db


def toasted_values() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'embeddings_embedding'"
        )
        (toast,) = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {toast}")  # noqa: S608 - a catalog name
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("dimensions", [512, 1024, 1536])
def test_a_vector_up_to_fifteen_hundred_dimensions_stays_in_its_row(dimensions: int) -> None:
    space = EmbeddingSpace.objects.create(
        name=f"wide-{dimensions}", provider_alias="x", model_name="x", dimensions=dimensions,
        embeds_text=True, embeds_images=False,
    )  # fmt: skip
    item = catalog_services.item_create(external_id=f"row-{dimensions}", title="row")
    vector = np.random.default_rng(dimensions).standard_normal(dimensions).astype(np.float32)
    before = toasted_values()
    Embedding.objects.create(space=space, item=item, vector=vector, input_sha256="x" * 64)
    assert toasted_values() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'embeddings_embedding'::regclass AND attname = 'vector'"
        )
        assert cursor.fetchone()[0] == "m"
    stored = Embedding.objects.get(space=space).vector
    assert np.allclose(np.asarray(stored), vector)


def test_a_vector_too_wide_for_a_page_is_still_stored() -> None:
    space = EmbeddingSpace.objects.create(
        name="huge", provider_alias="x", model_name="x", dimensions=3072, embeds_text=True,
        embeds_images=False,
    )  # fmt: skip
    item = catalog_services.item_create(external_id="huge", title="huge")
    vector = np.random.default_rng(3).standard_normal(3072).astype(np.float32)
    Embedding.objects.create(space=space, item=item, vector=vector, input_sha256="x" * 64)
    assert np.allclose(np.asarray(Embedding.objects.get(space=space).vector), vector)
