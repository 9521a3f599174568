"""The gateway on a real server (Django's live server: real sockets, real HTTP) used by real
clients: the official `openai` package, and the project's own `openai_compatible` and
`voyage` providers embedding a catalog end to end, with the vectors the local provider
gives the same inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest

from catalog import services as catalog_services
from embeddings.inputs import source_part
from embeddings.models import Embedding
from embeddings.providers.base import InputType, TextPart
from embeddings.providers.registry import providers
from embeddings.spaces import space_create, space_fill
from gateway.models import GatewayKey, GatewayUsage
from gateway.services import NewKey
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes
from tests.embeddings.providers import tiny_models
from tests.gateway.conftest import local_vector

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def openai_client(live_server: Any, gateway_key: NewKey) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{live_server.url}/embeddings/v1", api_key=gateway_key.raw_key, max_retries=0
    )


def test_the_official_openai_client(openai_client: openai.OpenAI) -> None:
    texts = ["a red shoe", "green bag", "the man is eating food"]
    answer = openai_client.embeddings.create(model="tiny-minilm", input=texts)  # base64 on the wire
    assert answer.model == "tiny-minilm"
    assert [row.index for row in answer.data] == [0, 1, 2]
    for text, row in zip(texts, answer.data, strict=True):
        np.testing.assert_allclose(row.embedding, local_vector("tiny-minilm", TextPart(text)),
                                   atol=1e-6)  # fmt: skip
    assert answer.usage.prompt_tokens == answer.usage.total_tokens > 0
    floats = openai_client.embeddings.create(
        model="tiny-minilm", input="a", encoding_format="float"
    )
    assert len(floats.data[0].embedding) == 6
    assert {model.id for model in openai_client.models.list()} == {"tiny-clip", "tiny-minilm"}


def test_the_official_client_reads_the_errors(
    openai_client: openai.OpenAI, gateway_key: NewKey, live_server: Any
) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        openai_client.embeddings.create(model="text-embedding-3-small", input="a")
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        openai_client.embeddings.create(model="tiny-minilm", input="a", dimensions=2)
    assert bad.value.param == "dimensions"
    stranger = openai.OpenAI(base_url=f"{live_server.url}/embeddings/v1", api_key="sag-nope",
                             max_retries=0)  # fmt: skip
    with pytest.raises(openai.AuthenticationError):
        stranger.embeddings.create(model="tiny-minilm", input="a")
    GatewayKey.objects.filter(pk=gateway_key.key.pk).update(requests_per_minute=1)
    with pytest.raises(openai.RateLimitError) as limited:
        openai_client.embeddings.create(model="tiny-minilm", input="a")
    assert int(limited.value.response.headers["retry-after"]) >= 1


@pytest.fixture
def wide_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny CLIP with Voyage's 1024 dimensions, which the voyage provider insists on."""
    monkeypatch.setattr(tiny_models, "CLIP_DIMENSIONS", 1024)
    return tiny_models.build_tiny_clip(tmp_path).folder


def test_the_projects_own_providers_embed_a_catalog_through_the_gateway(
    live_server: Any, gateway_key: NewKey, tiny_providers: dict[str, Any], wide_clip: Path,
    settings: Any,
) -> None:  # fmt: skip
    served = {"BACKEND": "embeddings.providers.onnx.OnnxProvider",
              "OPTIONS": {"path": str(wide_clip)}}  # fmt: skip
    settings.EMBEDDING_PROVIDERS = {
        **tiny_providers,
        "voyage-multimodal-3": served,  # Voyage's model name, served as a local alias
        "gw-openai": {
            "BACKEND": "embeddings.providers.openai_compatible.OpenAICompatibleProvider",
            "OPTIONS": {"base_url": f"{live_server.url}/embeddings/v1", "model": "tiny-clip",
                        "dimensions": 4, "images": True, "api_key": gateway_key.raw_key},
        },
        "gw-voyage": {
            "BACKEND": "embeddings.providers.voyage.VoyageProvider",
            "OPTIONS": {"base_url": f"{live_server.url}/embeddings", "model": "voyage-multimodal-3",
                        "api_key": gateway_key.raw_key, "max_retries": 0},
        },
    }  # fmt: skip
    for n, colour in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200)]):
        catalog_services.item_create(
            external_id=f"gw-{n}", title=f"a photo of a {['cat', 'dog', 'hat'][n]}",
            description="a red shoe " * (n + 1), category="bench",
            images=[image_from_bytes(make_image_bytes("PNG", size=(30 + n, 24), color=colour))],
        )  # fmt: skip
    for gateway_alias, local_alias in (("gw-openai", "tiny-clip"),
                                       ("gw-voyage", "voyage-multimodal-3")):  # fmt: skip
        space = space_create(name=f"through-{gateway_alias}", provider_alias=gateway_alias)
        report = space_fill(space=space)
        assert report.failed == 0, report.errors
        rows = list(Embedding.objects.filter(space=space).select_related("item", "image"))
        assert len(rows) == 6  # three texts, three images
        local = providers[local_alias]
        for row in rows:
            part = source_part(row.item, row.image)
            expected = local.embed([(part,)], input_type=InputType.DOCUMENT).vectors[0]
            np.testing.assert_allclose(np.asarray(row.vector, dtype=np.float32), expected,
                                       atol=1e-5)  # fmt: skip
        usage = GatewayUsage.objects.get(key=gateway_key.key, alias=local_alias)
        assert usage.inputs == 6 and usage.images == 3  # they went through the gateway
