"""Query vectors: weighted parts fused into one vector of a space, text vectors cached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from django.test import override_settings

from embeddings.models import Embedding, EmbeddingSpace
from embeddings.providers.base import ImagePart, TextPart, fuse, l2_normalise
from embeddings.query import query_vector_cache, space_query_vector
from embeddings.queue import space_embed_pending
from embeddings.spaces import space_create
from tests.conftest import make_image_bytes
from tests.embeddings.conftest import PROVIDERS
from tests.embeddings.factories import make_item
from tests.embeddings.fakes import FakeProvider, fake_vector, interleaved_key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]

PICTURE = ImagePart(make_image_bytes(color=(5, 100, 200)), "image/png")


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    query_vector_cache.clear()
    yield
    query_vector_cache.clear()


def query(space: EmbeddingSpace, **parts: Any) -> np.ndarray:
    vector = space_query_vector(space=space, **parts)
    assert vector is not None
    return vector


def text(value: str, dimensions: int = 8) -> np.ndarray:
    return fake_vector(b"text:" + value.encode(), dimensions)


def image(part: ImagePart, dimensions: int = 8) -> np.ndarray:
    return fake_vector(b"image:" + part.data, dimensions)


def test_text_and_image_are_embedded_apart_and_fused_by_weight() -> None:
    space = space_create(name="both", provider_alias="fake", activate=True)
    assert np.allclose(query(space, text="red mug"), text("red mug"), atol=1e-6)
    mixed = query(space, text="red mug", image=PICTURE, image_weight=2.0)
    expected = fuse(np.stack([text("red mug"), image(PICTURE)]), [1.0, 2.0])
    assert np.allclose(mixed, expected, atol=1e-6)


def test_negative_text_pushes_the_query_away() -> None:
    space = space_create(name="both", provider_alias="fake", activate=True)
    vector = query(space, text="mug", negative_text="plastic",
                                negative_weight=0.25)  # fmt: skip
    expected = fuse(np.stack([text("mug"), text("plastic")]), [1.0, -0.25])
    assert np.allclose(vector, expected, atol=1e-6)


def test_an_interleaving_model_reads_text_and_image_as_one_input() -> None:
    providers = {**PROVIDERS, "mixed": {**PROVIDERS["fake"], "OPTIONS": {"interleaved": True}}}
    with override_settings(EMBEDDING_PROVIDERS=providers):
        space = space_create(name="mixed", provider_alias="mixed", activate=True)
        FakeProvider.calls.clear()
        vector = query(space, text="red mug", image=PICTURE)
        assert FakeProvider.calls == [[(TextPart("red mug"), PICTURE)]]
        expected = fake_vector(interleaved_key((TextPart("red mug"), PICTURE)), 8)
        assert np.allclose(vector, expected, atol=1e-6)
        # Unequal weights: the parts apart, weighted (the model cannot weigh them itself).
        FakeProvider.calls.clear()
        space_query_vector(space=space, text="red mug", image=PICTURE, image_weight=3.0)
        assert all(len(parts) == 1 for call in FakeProvider.calls for parts in call)


def test_more_like_this_starts_from_the_items_stored_vectors() -> None:
    item = make_item("mug", images=1)
    space = space_create(name="both", provider_alias="fake", activate=True)
    space_embed_pending(space=space)
    stored = np.array([row.vector for row in Embedding.objects.filter(space=space, item=item)])
    own = l2_normalise(l2_normalise(stored).mean(axis=0))[0]
    assert np.allclose(query(space, item_id=item.pk), own, atol=1e-5)
    with_text = query(space, text="blue", item_id=item.pk, item_weight=0.5)
    assert np.allclose(with_text, fuse(np.stack([text("blue"), own]), [1.0, 0.5]), atol=1e-5)
    assert space_query_vector(space=space, item_id=item.pk + 1000) is None  # nothing stored


def test_no_vector_when_the_space_cannot_embed_a_positive_part() -> None:
    space = space_create(name="words", provider_alias="fake-text", activate=True)
    assert space_query_vector(space=space, image=PICTURE) is None
    assert space_query_vector(space=space, text="mug", text_weight=0) is None
    assert space_query_vector(space=space, negative_text="only this") is None


def test_text_vectors_are_cached_per_model() -> None:
    words = space_create(name="words", provider_alias="fake-text", activate=True)
    both = space_create(name="both", provider_alias="fake", activate=True)
    FakeProvider.calls.clear()
    first = query(words, text="lamp")
    assert np.allclose(query(words, text="lamp"), first)
    assert len(FakeProvider.calls) == 1
    space_query_vector(space=both, text="lamp")  # another model: its own vector
    space_query_vector(space=both, text="lamp", image=PICTURE)  # the image is not cached
    assert [len(call) for call in FakeProvider.calls] == [1, 1, 1]
