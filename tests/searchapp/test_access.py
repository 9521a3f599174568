"""Who may do what: anonymous readers, curators, staff; rate limits; how uploads are served;
secrets kept out of errors, logs and pages; production settings that pass `check --deploy`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog import services
from catalog.models import Item, ItemImage
from embeddings.providers.base import InputType, PermanentProviderError, TextPart
from embeddings.providers.http import HttpProvider
from embeddings.providers.voyage import VoyageProvider
from searchapp.images import image_from_bytes
from tests.conftest import REPO_ROOT, make_image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def item() -> Item:
    created = services.item_create(external_id="acc-1", title="Access mug", category="mugs")
    services.item_image_add(item=created, image=image_from_bytes(make_image_bytes()))
    return created


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def writes(item: Item) -> list[tuple[str, str, dict[str, Any]]]:
    image = item.images.get()
    base = f"/api/v1/items/{item.pk}/"
    return [
        ("post", "/api/v1/items/", {"external_id": "new", "title": "New"}),
        ("patch", base, {"title": "Changed"}),
        ("put", base, {"external_id": "acc-1", "title": "Replaced"}),
        ("delete", base, {}),
        ("post", f"{base}images/", {"image": "data:image/png;base64,AAAA"}),
        ("patch", f"{base}images/{image.pk}/", {"position": 0}),
        ("delete", f"{base}images/{image.pk}/", {}),
    ]


READS = [
    "/api/v1/items/",
    "/api/v1/items/{id}/",
    "/api/v1/items/{id}/images/",
    "/api/v1/items/{id}/similar/",
    "/api/v1/search/?q=mug",
    "/api/v1/spaces/",
    "/api/v1/health/",
    "/api/v1/schema/",
]


def snapshot() -> tuple[Any, ...]:
    return (
        list(Item.objects.values_list("pk", "title", "updated_at")),
        list(ItemImage.objects.values_list("pk", "position")),
    )


# --- reading is open, writing needs a curator ---------------------------------------------------


@pytest.mark.parametrize("path", READS)
def test_anonymous_users_read_and_search(item: Item, path: str) -> None:
    response = APIClient().get(path.format(id=item.pk))
    assert response.status_code == 200, (path, response.content[:300])


def test_anonymous_search_by_post_is_a_read(item: Item) -> None:
    response = APIClient().post("/api/v1/search/", {"text": "mug"}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "shopper", "staff-without-permissions"])
def test_every_write_needs_the_curator_permission(item: Item, who: str) -> None:
    if who == "anonymous":
        client, expected = APIClient(), 401
    else:
        user = User.objects.create_user(f"{who}-user", password="pw-123-long-enough")
        user.is_staff = who.startswith("staff")
        user.save()
        client, expected = token_client(user), 403
    before = snapshot()
    for method, path, body in writes(item):
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == expected, (who, method, path, response.content[:200])
        assert response.json()["detail"], (method, path)
    assert snapshot() == before


def test_a_session_write_with_the_csrf_token_goes_through(curator: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="curator", password="curator-pass-123")
    client.get("/")  # the page sets the CSRF cookie, as a browser would see it
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/items/",
        {"external_id": "csrf", "title": "With token"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content
    forged = client.post(
        "/api/v1/items/",
        {"external_id": "csrf2", "title": "Forged"},
        format="json",
        HTTP_X_CSRFTOKEN="x" * 64,
    )
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert not Item.objects.filter(external_id="csrf2").exists()


def test_admin_needs_a_staff_account_with_permissions(item: Item) -> None:
    User.objects.create_user("shopper", password="pw-123-long-enough")
    client = Client()
    assert client.login(username="shopper", password="pw-123-long-enough")
    response = client.get("/admin/catalog/item/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

    User.objects.create_user("helper", password="pw-123-long-enough", is_staff=True)
    staff = Client()
    assert staff.login(username="helper", password="pw-123-long-enough")
    assert staff.get("/admin/catalog/item/").status_code == 403
    before = snapshot()
    response = staff.post(f"/admin/catalog/item/{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert snapshot() == before


# --- rate limits ----------------------------------------------------------------------------------


@pytest.fixture
def throttled(settings: Any) -> Any:
    settings.SEARCHAPP_THROTTLE = True
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "4/min", "login": "2/min"},
    }
    return settings


def fresh_address() -> str:
    """A client address no other test (or earlier run) has used: throttle counts live in Redis."""
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:6]}"


def assert_throttled(response: Any) -> None:
    assert response.status_code == 429, response.content[:200]
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_anonymous_clients_are_limited_per_address(throttled: Any, item: Item) -> None:
    address = fresh_address()
    client = APIClient(REMOTE_ADDR=address)
    for _ in range(3):
        assert client.get("/api/v1/search/?q=mug").status_code == 200
    assert_throttled(client.get("/api/v1/items/"))
    # Another address is not held back by the first one.
    assert APIClient(REMOTE_ADDR=fresh_address()).get("/api/v1/items/").status_code == 200
    # Health stays answerable for load balancers.
    assert client.get("/api/v1/health/").status_code == 200
    cache.delete(f"throttle_anon_{address}")


def test_signed_in_users_are_limited_per_account(throttled: Any, curator: User) -> None:
    other = User.objects.create_user("other-curator", password="pw-123-long-enough")
    address = fresh_address()
    first, second = token_client(curator), token_client(other)
    for client in (first, second):
        client.defaults["REMOTE_ADDR"] = address  # same address, different accounts
    for _ in range(4):
        assert first.get("/api/v1/items/").status_code == 200
    assert_throttled(
        first.post("/api/v1/items/", {"external_id": "t", "title": "T"}, format="json")
    )
    assert not Item.objects.filter(external_id="t").exists()
    assert second.get("/api/v1/items/").status_code == 200
    for user in (curator, other):
        cache.delete(f"throttle_user_{user.pk}")


def test_password_guessing_on_the_token_endpoint_is_limited(throttled: Any, curator: User) -> None:
    address = fresh_address()
    client = APIClient(REMOTE_ADDR=address)
    for guess in ("guess-1", "guess-2"):
        response = client.post("/api/v1/auth/token/", {"username": "curator", "password": guess})
        assert response.status_code == 400
    # Even the right password waits now.
    right = client.post(
        "/api/v1/auth/token/", {"username": "curator", "password": "curator-pass-123"}
    )
    assert_throttled(right)
    assert "token" not in right.json()
    cache.delete(f"throttle_login_{address}")


# --- uploads are served as images and nothing else -----------------------------------------------


def test_uploaded_images_are_served_with_safe_headers(item: Item, settings: Any) -> None:
    client = Client()
    image = item.images.get()
    response = client.get(image.image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"

    # Files that did not come through the upload path are never served as pages.
    folder = Path(settings.MEDIA_ROOT) / "items" / str(item.pk)
    (folder / "page.html").write_text("<script>alert(1)</script>")
    (folder / "page.svg").write_text("<svg onload='alert(1)'/>")
    (folder / "fake.png").write_text("<html><script>alert(1)</script></html>")
    assert client.get(f"/media/items/{item.pk}/page.html").status_code == 404
    assert client.get(f"/media/items/{item.pk}/page.svg").status_code == 404
    disguised = client.get(f"/media/items/{item.pk}/fake.png")
    assert disguised["Content-Type"] == "image/png"
    assert disguised["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in disguised["Content-Security-Policy"]
    for path in ("../secret_key", "..%2Fsecret_key.png", "%2e%2e/%2e%2e/etc/passwd.png"):
        assert client.get(f"/media/{path}").status_code in (400, 404), path


# --- secrets stay secret --------------------------------------------------------------------------

SECRET = "sk-live-0123456789abcdef"


def test_a_vendor_echoing_the_key_does_not_put_it_in_errors_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        sent = request.headers["Authorization"]
        status = 500 if "retry" in request.url.path else 401
        return httpx.Response(status, json={"detail": f"Key {sent} rejected ({sent[7:]})"})

    monkeypatch.setattr(HttpProvider, "transport_factory", lambda: httpx.MockTransport(echo))
    provider = VoyageProvider("voyage", {"api_key": SECRET, "backoff": 0.001, "max_retries": 1})
    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentProviderError) as failure:
        provider.embed([[TextPart("mug")]], input_type=InputType.QUERY)
    assert "HTTP 401" in str(failure.value) and "[redacted]" in str(failure.value)
    assert SECRET not in str(failure.value)
    assert SECRET not in caplog.text


def test_provider_keys_never_reach_api_answers_or_admin_pages(
    settings: Any, admin_user_client: tuple[User, Client]
) -> None:
    from embeddings import spaces as embedding_spaces

    settings.EMBEDDING_PROVIDERS = {
        "hosted": {
            "BACKEND": "embeddings.providers.voyage.VoyageProvider",
            "OPTIONS": {"api_key": SECRET},
        }
    }
    space = embedding_spaces.space_create(name="hosted-space", provider_alias="hosted")
    _, admin = admin_user_client
    pages = [
        APIClient().get("/api/v1/spaces/").content,
        admin.get("/admin/embeddings/embeddingspace/").content,
        admin.get(f"/admin/embeddings/embeddingspace/{space.pk}/change/").content,
    ]
    assert all(SECRET.encode() not in page for page in pages)


def test_an_unexpected_error_shows_no_secrets(
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    curator: User,
    item: Item,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from catalog import selectors

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"boom with {SECRET}")

    monkeypatch.setattr(selectors, "item_get", explode)
    token = Token.objects.create(user=curator).key
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/v1/items/{item.pk}/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error; it has been logged."}
    assert SECRET.encode() not in response.content and token.encode() not in response.content
    assert "boom with" in caplog.text  # the traceback is logged for the operator...
    assert token not in caplog.text  # ...the caller's token is not

    # An operator who turns DEBUG on gets the technical page, with settings and headers masked.
    settings.DEBUG = True
    settings.EMBEDDING_PROVIDERS = {
        "hosted": {"BACKEND": "embeddings.providers.voyage.VoyageProvider",
                   "OPTIONS": {"api_key": SECRET}},
    }  # fmt: skip
    page = client.get(f"/items/{item.pk}/", HTTP_AUTHORIZATION=f"Token {token}")
    assert page.status_code == 500
    assert b"RuntimeError" in page.content and b"EMBEDDING_PROVIDERS" in page.content
    assert token.encode() not in page.content
    assert page.content.count(SECRET.encode()) == page.content.count(
        b"boom with " + SECRET.encode()
    )


# --- production settings --------------------------------------------------------------------------


def production_env(tmp_path: Path, tiny_model_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SEARCHAPP_")}
    env.update(
        SEARCHAPP_PRODUCTION="1",
        SEARCHAPP_SECRET_KEY="prod-" + uuid.uuid4().hex * 2,
        SEARCHAPP_ALLOWED_HOSTS="search.example.com",
        SEARCHAPP_MODEL_DIR=str(tiny_model_dir),
        SEARCHAPP_DATA_DIR=str(REPO_ROOT / "var"),  # the running embedded stack
        DJANGO_SETTINGS_MODULE="searchapp.settings",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = manage(
        production_env(tmp_path, tiny_model_dir), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SEARCHAPP_SECRET_KEY": ""}, "set SEARCHAPP_SECRET_KEY"),
        ({"SEARCHAPP_ALLOWED_HOSTS": ""}, "set SEARCHAPP_ALLOWED_HOSTS"),
        ({"SEARCHAPP_DEBUG": "1"}, "leave SEARCHAPP_DEBUG off"),
    ],
)
def test_production_mode_refuses_to_start_half_configured(
    tmp_path: Path, tiny_model_dir: Path, change: dict[str, str], message: str
) -> None:
    result = manage(production_env(tmp_path, tiny_model_dir, **change), "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_mode_turns_on_https_settings(tmp_path: Path, tiny_model_dir: Path) -> None:
    code = (
        "from django.conf import settings as s; import json; print(json.dumps([s.DEBUG, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS]))"
    )
    result = manage(production_env(tmp_path, tiny_model_dir), "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == [False, True, True, True, 31536000, ["search.example.com"]]
