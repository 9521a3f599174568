"""A space's provider: refused when it no longer makes the space's model; usage recorded."""

from __future__ import annotations

import pytest
from django.test import override_settings

from embeddings.models import Embedding, ItemEmbeddingState, ProviderUsage
from embeddings.providers.base import InputType, TextPart
from embeddings.query import query_vector_cache, space_query_vector
from embeddings.queue import space_embed_pending
from embeddings.space_provider import SpaceModelChangedError, space_embed, space_provider
from embeddings.spaces import space_create
from tests.embeddings.conftest import PROVIDERS
from tests.embeddings.factories import make_item
from tests.embeddings.fakes import FakeProvider

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]

# The alias "fake" reconfigured: 16-d vectors are another model ("fake-16", not "fake-8").
CHANGED = {**PROVIDERS, "fake": {**PROVIDERS["fake"], "OPTIONS": {"dimensions": 16}}}


def usage(alias: str) -> tuple[int, int]:
    row = ProviderUsage.objects.filter(alias=alias).first()
    return (row.requests, row.inputs) if row else (0, 0)


def test_a_space_is_refused_a_provider_that_makes_another_model() -> None:
    space = space_create(name="catalog", provider_alias="fake", activate=True)
    assert space_provider(space).model_name == "fake-8"
    with (
        override_settings(EMBEDDING_PROVIDERS=CHANGED),
        pytest.raises(SpaceModelChangedError) as refused,
    ):
        space_provider(space)
    message = str(refused.value)
    assert "'catalog'" in message and "'fake-8'" in message and "'fake-16'" in message
    assert "EMBEDDING_PROVIDERS['fake']" in message
    assert (refused.value.stored_model, refused.value.configured_model) == ("fake-8", "fake-16")


def test_ingest_embeds_nothing_and_keeps_the_work_pending_after_a_model_change() -> None:
    space = space_create(name="catalog", provider_alias="fake", activate=True)
    item = make_item("mug", images=1)
    with override_settings(EMBEDDING_PROVIDERS=CHANGED), pytest.raises(SpaceModelChangedError):
        space_embed_pending(space=space)
    assert FakeProvider.calls == [] and not Embedding.objects.exists()
    state = ItemEmbeddingState.objects.get(space=space, item=item)
    assert state.status == "pending" and state.leased_until is None
    space_embed_pending(space=space)  # the configuration is back: the work goes through
    assert ItemEmbeddingState.objects.get(space=space, item=item).status == "ready"


def test_queries_are_refused_after_a_model_change() -> None:
    space = space_create(name="catalog", provider_alias="fake", activate=True)
    query_vector_cache.clear()
    space_query_vector(space=space, text="red mug")  # cached under the old model
    with override_settings(EMBEDDING_PROVIDERS=CHANGED), pytest.raises(SpaceModelChangedError):
        space_query_vector(space=space, text="red mug")


def test_ingest_and_queries_record_their_usage_per_alias() -> None:
    make_item("mug", images=1)
    space = space_create(name="catalog", provider_alias="fake", activate=True)
    space_embed_pending(space=space)
    assert usage("fake") == (1, 2)  # the text and the image in one call
    query_vector_cache.clear()
    space_query_vector(space=space, text="red mug", negative_text="plastic")
    assert usage("fake") == (2, 4)
    space_query_vector(space=space, text="red mug")  # from the cache: no call
    assert usage("fake") == (2, 4)
    space_embed(space=space, inputs=[(TextPart("one"),)], input_type=InputType.QUERY)
    assert usage("fake") == (3, 5) and usage("fake-text") == (0, 0)
