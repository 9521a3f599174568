"""How VertexProvider authenticates: an access token from OPTIONS or the environment, a
service-account key exchanged for a token (JWT grant), an authorized_user file (refresh
token grant), and the token endpoint's failures."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from embeddings.providers.base import (
    PermanentProviderError,
    ProviderConfigurationError,
    TextPart,
    TransientProviderError,
)
from embeddings.providers.vertex import (
    CLOUD_PLATFORM_SCOPE,
    JWT_BEARER_GRANT,
    VertexProvider,
)
from tests.embeddings.providers.conftest import FakeVendor
from tests.embeddings.providers.vendors import vertex as fake
from tests.embeddings.providers.vertex.conftest import (
    DOCUMENT,
    PREDICT_URL,
)

# --- credentials ----------------------------------------------------------------------------


def test_access_token_from_the_environment(
    recorder: FakeVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_ACCESS_TOKEN", "test-token")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    VertexProvider("vertex-test", {}).embed([(TextPart("mug"),)], input_type=DOCUMENT)
    assert recorder.requests[0].headers["authorization"] == "Bearer test-token"
    assert str(recorder.requests[0].url) == PREDICT_URL


@pytest.fixture
def rsa_key() -> Any:
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_file(folder: Path, key: Any, **overrides: Any) -> Path:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    info = {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "embedder@test-project.iam.gserviceaccount.com",
        "client_id": "1234",
        "token_uri": "https://oauth2.googleapis.com/token",
        **overrides,
    }
    path = folder / "service-account.json"
    path.write_text(json.dumps(info))
    return path


def decode_jwt(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, _ = (
        json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        if index < 2
        else None
        for index, segment in enumerate(assertion.split("."))
    )
    return header, claims  # type: ignore[return-value]


def test_service_account_token_is_minted_cached_and_refreshed(
    recorder: FakeVendor, rsa_key: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = service_account_file(tmp_path, rsa_key)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    fake.register_service_account(
        "embedder@test-project.iam.gserviceaccount.com", rsa_key.public_key()
    )
    clock = [1_700_000_000.0]
    monkeypatch.setattr("embeddings.providers.vertex.time.time", lambda: clock[0])
    monkeypatch.setattr(fake.time, "time", lambda: clock[0])
    provider = VertexProvider("vertex-test", {})  # project from the file's project_id
    assert provider.project == "test-project"

    provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
    token_request, predict = recorder.requests
    assert token_request.method == "POST"
    assert str(token_request.url) == "https://oauth2.googleapis.com/token"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in token_request.headers
    form = {k: v[0] for k, v in parse_qs(token_request.content.decode()).items()}
    assert set(form) == {"grant_type", "assertion"}
    assert form["grant_type"] == JWT_BEARER_GRANT
    header, claims = decode_jwt(form["assertion"])
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "key-1"}
    assert claims == {
        "iss": "embedder@test-project.iam.gserviceaccount.com",
        "scope": CLOUD_PLATFORM_SCOPE,
        "aud": "https://oauth2.googleapis.com/token",
        "iat": 1_700_000_000,
        "exp": 1_700_003_600,
    }
    assert predict.headers["authorization"].startswith("Bearer ya29.fake-")
    first_token = predict.headers["authorization"]

    clock[0] += 3000  # within the token's hour minus the refresh margin: cached
    provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
    assert len(recorder.requests) == 3
    assert recorder.requests[2].headers["authorization"] == first_token

    clock[0] += 400  # 3400 s: less than five minutes left, so a new one is minted
    provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
    assert [r.url.path for r in recorder.requests[3:]] == ["/token", httpx.URL(PREDICT_URL).path]
    assert recorder.requests[4].headers["authorization"] != first_token


def test_a_jwt_signed_by_another_key_is_refused(
    recorder: FakeVendor, rsa_key: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fake.register_service_account(
        "embedder@test-project.iam.gserviceaccount.com", other.public_key()
    )
    path = service_account_file(tmp_path, rsa_key)
    provider = VertexProvider("vertex-test", {"credentials_file": str(path)})
    with pytest.raises(PermanentProviderError) as raised:
        provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
    assert "vertex token endpoint HTTP 400: invalid_grant: Invalid JWT Signature." in str(
        raised.value
    )
    assert len(recorder.requests) == 1  # no predict call without a token


def test_without_cryptography_a_service_account_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "p",
                "client_email": "e@p.iam.gserviceaccount.com",
                "private_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
            }
        )
    )
    monkeypatch.setitem(sys.modules, "cryptography", None)  # as if not installed
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    with pytest.raises(ProviderConfigurationError) as raised:
        VertexProvider("vertex-test", {})
    message = str(raised.value)
    assert "cryptography" in message and "google-auth" in message and "access token" in message
    # An access token makes the key file unnecessary.
    assert VertexProvider("vertex-test", {"access_token": "t"}).project == "p"


def test_unusable_credentials_files_are_configuration_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ProviderConfigurationError, match="cannot read Google credentials"):
        VertexProvider("vertex-test", {"credentials_file": str(missing), "project": "p"})
    external = tmp_path / "external.json"
    external.write_text(json.dumps({"type": "external_account"}))
    with pytest.raises(ProviderConfigurationError, match="external_account"):
        VertexProvider("vertex-test", {"credentials_file": str(external), "project": "p"})


def test_authorized_user_file_uses_the_refresh_token_grant(
    recorder: FakeVendor, tmp_path: Path
) -> None:
    path = tmp_path / "adc.json"
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "client.apps.googleusercontent.com",
                "client_secret": "client-secret",
                "refresh_token": "test-refresh-token",
                "quota_project_id": "test-project",
            }
        )
    )
    provider = VertexProvider("vertex-test", {"credentials_file": str(path)})
    provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
    token_request, predict = recorder.requests
    assert str(token_request.url) == "https://oauth2.googleapis.com/token"
    assert {k: v[0] for k, v in parse_qs(token_request.content.decode()).items()} == {
        "grant_type": "refresh_token",
        "client_id": "client.apps.googleusercontent.com",
        "client_secret": "client-secret",
        "refresh_token": "test-refresh-token",
    }
    assert predict.headers["authorization"].startswith("Bearer ya29.fake-")
    assert str(predict.url) == PREDICT_URL


def test_token_endpoint_outage_is_transient(recorder: FakeVendor, tmp_path: Path) -> None:
    path = tmp_path / "adc.json"
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "c",
                "client_secret": "s",
                "refresh_token": "test-refresh-token",
            }
        )
    )
    recorder.answer(httpx.Response(503, text="unavailable"))
    provider = VertexProvider("vertex-test", {"credentials_file": str(path), "project": "p"})
    with pytest.raises(TransientProviderError, match="token endpoint HTTP 503"):
        provider.embed([(TextPart("mug"),)], input_type=DOCUMENT)
