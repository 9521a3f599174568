"""Keys (hashed, shown once in the admin), per-key rate limits and daily quotas (429 with
Retry-After), per-key usage, the models list and the switch that turns the gateway off."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from embeddings.models import ProviderUsage
from gateway.models import GatewayKey, GatewayUsage
from gateway.services import NewKey, gateway_key_create, key_sha256

EMBED = "/embeddings/v1/embeddings"
VOYAGE = "/embeddings/v1/multimodalembeddings"


def client_for(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def embed(client: APIClient, inputs: list[str], model: str = "tiny-minilm") -> Any:
    return client.post(EMBED, {"model": model, "input": inputs}, format="json")


def test_a_key_is_stored_hashed(gateway_key: NewKey) -> None:
    row = GatewayKey.objects.get(pk=gateway_key.key.pk)
    assert row.key_sha256 == key_sha256(gateway_key.raw_key)
    assert gateway_key.raw_key not in str(GatewayKey.objects.filter(pk=row.pk).values().get())
    assert gateway_key.raw_key.startswith(row.prefix)


def test_the_admin_shows_a_new_key_once(admin_user_client: Any, tiny_providers: Any) -> None:
    _, client = admin_user_client
    response = client.post("/admin/gateway/gatewaykey/add/", {
        "name": "mobile app", "is_active": "on", "requests_per_minute": 60,
        "daily_input_quota": 1000, "usage-TOTAL_FORMS": 0, "usage-INITIAL_FORMS": 0,
    })  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    (message,) = [str(m) for m in get_messages(response.wsgi_request) if "copy it now" in str(m)]
    raw_key = next(word for word in message.split() if word.startswith("sag-"))
    key = GatewayKey.objects.get(name="mobile app")
    assert key.key_sha256 == key_sha256(raw_key)
    assert embed(client_for(raw_key), ["a red shoe"]).status_code == 200
    shown = client.get(response["Location"]).content.decode()  # the message, once
    assert raw_key in shown
    page = client.get(f"/admin/gateway/gatewaykey/{key.pk}/change/").content.decode()
    assert raw_key not in page
    assert "tiny-minilm" in page  # the key's usage, per model and day


def test_a_revoked_key_is_refused(gateway_key: NewKey) -> None:
    GatewayKey.objects.filter(pk=gateway_key.key.pk).update(is_active=False)
    response = embed(client_for(gateway_key.raw_key), ["a"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_usage_is_recorded_per_key_and_per_alias(
    gateway_key: NewKey, gateway_client: APIClient
) -> None:
    other = gateway_key_create(name="other app")
    assert embed(gateway_client, ["a red shoe", "a blue dress"]).status_code == 200
    voyage = {"model": "tiny-minilm", "inputs": [{"content": [{"type": "text", "text": "a"}]}]}
    assert gateway_client.post(VOYAGE, voyage, format="json").status_code == 200
    assert embed(client_for(other.raw_key), ["a"]).status_code == 200
    mine = GatewayUsage.objects.get(key=gateway_key.key, alias="tiny-minilm")
    assert (mine.requests, mine.inputs) == (2, 3)
    assert mine.text_tokens > 0 and mine.images == 0
    theirs = GatewayUsage.objects.get(key=other.key, alias="tiny-minilm")
    assert (theirs.requests, theirs.inputs) == (1, 1)
    assert ProviderUsage.objects.get(alias="tiny-minilm").inputs == 4
    assert GatewayKey.objects.get(pk=gateway_key.key.pk).last_used_at is not None


def test_the_rate_limit_answers_429_with_retry_after(gateway_key: NewKey) -> None:
    GatewayKey.objects.filter(pk=gateway_key.key.pk).update(requests_per_minute=2)
    client = client_for(gateway_key.raw_key)
    assert [embed(client, ["a"]).status_code for _ in range(2)] == [200, 200]
    before = time.time()
    refused = embed(client, ["a"])
    after = time.time()
    assert refused.status_code == 429
    # The seconds left in this minute's window, as measured around the request.
    left = [max(1, math.ceil((moment // 60 + 1) * 60 - moment)) for moment in (after, before)]
    assert left[0] <= int(refused["Retry-After"]) <= left[1]
    error = refused.json()["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    voyage = client.post(VOYAGE, {"model": "tiny-minilm", "inputs": []}, format="json")
    assert voyage.status_code == 429 and "Retry-After" in voyage
    assert set(voyage.json()) == {"detail"}


def test_the_daily_quota_answers_429_until_midnight(gateway_key: NewKey) -> None:
    GatewayKey.objects.filter(pk=gateway_key.key.pk).update(daily_input_quota=3)
    client = client_for(gateway_key.raw_key)
    assert embed(client, ["a", "b"]).status_code == 200
    before = datetime.now(UTC)
    refused = embed(client, ["c", "d"])  # 2 + 2 > 3
    after = datetime.now(UTC)
    assert refused.status_code == 429
    # The seconds to the next midnight UTC, as measured around the request.
    midnight = datetime(before.year, before.month, before.day, tzinfo=UTC) + timedelta(days=1)
    left = [math.ceil((midnight - moment).total_seconds()) for moment in (after, before)]
    assert left[0] <= int(refused["Retry-After"]) <= left[1]
    assert refused.json()["error"]["code"] == "insufficient_quota"
    assert embed(client, ["c"]).status_code == 200  # exactly the quota
    assert GatewayUsage.objects.get(key=gateway_key.key).inputs == 3


def test_the_models_list(gateway_client: APIClient, settings: Any) -> None:
    settings.SEARCHAPP_GATEWAY_SHORTENING = ["tiny-minilm"]
    body = gateway_client.get("/embeddings/v1/models").json()
    assert body["object"] == "list"
    models = {row["id"]: row for row in body["data"]}
    assert set(models) == {"tiny-clip", "tiny-minilm"}  # hosted aliases are not served
    assert models["tiny-clip"]["dimensions"] == 4
    assert models["tiny-clip"]["modalities"] == ["text", "image"]
    assert models["tiny-minilm"]["modalities"] == ["text"]
    assert models["tiny-minilm"]["shortening"] is True
    assert all(row["object"] == "model" for row in body["data"])


def test_only_the_configured_models_are_served(gateway_client: APIClient, settings: Any) -> None:
    settings.SEARCHAPP_GATEWAY_MODELS = ["tiny-clip"]
    body = gateway_client.get("/embeddings/v1/models").json()
    assert [row["id"] for row in body["data"]] == ["tiny-clip"]
    assert embed(gateway_client, ["a"]).status_code == 404


def test_the_switch_turns_every_endpoint_off(gateway_client: APIClient, settings: Any) -> None:
    settings.SEARCHAPP_GATEWAY = False
    assert embed(gateway_client, ["a"]).status_code == 404
    assert gateway_client.get("/embeddings/v1/models").status_code == 404
    voyage = gateway_client.post(VOYAGE, {}, format="json")
    assert voyage.status_code == 404 and "switched off" in voyage.json()["detail"]


def test_the_gateway_has_a_schema_of_its_own(anon_client: APIClient) -> None:
    gateway = anon_client.get("/embeddings/v1/schema/?format=json").json()
    assert set(gateway["paths"]) == {"/embeddings/v1/embeddings",
                                     "/embeddings/v1/multimodalembeddings", "/embeddings/v1/models"}  # fmt: skip
    operation = gateway["paths"]["/embeddings/v1/embeddings"]["post"]
    assert {"200", "400", "401", "404", "413", "415", "429", "503"} <= set(operation["responses"])
    assert "OpenAIError" in str(operation["responses"]["400"])
    voyage = gateway["paths"]["/embeddings/v1/multimodalembeddings"]["post"]
    assert "VoyageError" in str(voyage["responses"]["400"])
    api = anon_client.get("/api/v1/schema/?format=json").json()
    assert not [path for path in api["paths"] if path.startswith("/embeddings/")]
    assert anon_client.get("/embeddings/v1/docs/").status_code == 200
