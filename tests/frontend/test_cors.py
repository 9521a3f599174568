"""CORS for storefronts: named origins may call the API, `*` only reads it anonymously,
cookies never count (no Allow-Credentials), preflights are cached, Retry-After is readable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from catalog.services import item_create
from tests.searchapp.test_settings import load_settings

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
OTHER = "https://evil.example.net"


def preflight(path: str, origin: str, method: str, headers: str = "content-type") -> Any:
    return APIClient().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def test_no_origin_is_allowed_by_default() -> None:
    response = preflight("/api/v1/search/", SHOP, "POST")
    assert "Access-Control-Allow-Origin" not in response.headers
    simple = APIClient().get("/api/v1/suggest/", {"q": "la"}, HTTP_ORIGIN=SHOP)
    assert simple.status_code == 200
    assert "Access-Control-Allow-Origin" not in simple.headers


@override_settings(CORS_ALLOWED_ORIGINS=[SHOP])
def test_a_named_origin_may_post_a_search_with_a_token() -> None:
    response = preflight("/api/v1/search/", SHOP, "POST", "authorization, content-type")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"]
    assert {"authorization", "content-type", "x-search-session"} <= {
        header.strip() for header in allowed_headers.split(",")
    }
    assert response.headers["Access-Control-Max-Age"] == "7200"
    assert "Access-Control-Allow-Credentials" not in response.headers

    search = APIClient().post("/api/v1/search/", {"text": "lamp"}, format="json", HTTP_ORIGIN=SHOP)
    assert search.status_code == 200
    assert search.headers["Access-Control-Allow-Origin"] == SHOP
    assert search.headers["Access-Control-Expose-Headers"] == "Retry-After"
    assert "origin" in search.headers["Vary"].lower()
    assert "Access-Control-Allow-Credentials" not in search.headers


@override_settings(CORS_ALLOWED_ORIGINS=[SHOP])
def test_an_origin_not_listed_is_refused() -> None:
    response = preflight("/api/v1/search/", OTHER, "POST")
    assert "Access-Control-Allow-Origin" not in response.headers
    simple = APIClient().get("/api/v1/items/", HTTP_ORIGIN=OTHER)
    assert "Access-Control-Allow-Origin" not in simple.headers


@override_settings(CORS_ALLOWED_ORIGINS=[SHOP])
def test_pages_outside_the_api_get_no_cors() -> None:
    response = APIClient().get("/", HTTP_ORIGIN=SHOP)
    assert "Access-Control-Allow-Origin" not in response.headers


@override_settings(CORS_ALLOWED_ORIGINS=[], SEARCHAPP_CORS_ANY_ORIGIN_READS=True)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search/?q=lamp",
        "/api/v1/suggest/?q=la",
        "/api/v1/facets/",
        "/api/v1/items/",
        "/api/v1/items/{id}/",
        "/api/v1/items/{id}/images/",
        "/api/v1/items/{id}/similar/",
    ],
)
def test_any_origin_may_read_the_public_endpoints_anonymously(path: str) -> None:
    item = item_create(external_id="lamp-1", title="Desk lamp", category="lighting")
    path = path.replace("{id}", str(item.pk))
    response = APIClient().get(path, HTTP_ORIGIN=OTHER)
    assert response.status_code == 200, response.content
    assert response.headers["Access-Control-Allow-Origin"] == OTHER
    assert "Access-Control-Allow-Credentials" not in response.headers
    allowed = preflight(path.split("?")[0], OTHER, "GET")
    assert allowed.headers["Access-Control-Allow-Origin"] == OTHER


@override_settings(CORS_ALLOWED_ORIGINS=[], SEARCHAPP_CORS_ANY_ORIGIN_READS=True)
def test_any_origin_may_not_write_nor_send_a_token_nor_read_private_endpoints() -> None:
    refused = [
        preflight("/api/v1/search/", OTHER, "POST"),  # POST search: name the origin
        preflight("/api/v1/items/", OTHER, "POST"),
        preflight("/api/v1/items/", OTHER, "GET", "authorization"),
        preflight("/api/v1/synonyms/", OTHER, "GET"),
        preflight("/api/v1/auth/token/", OTHER, "POST"),
        APIClient().get("/api/v1/items/", HTTP_ORIGIN=OTHER, HTTP_AUTHORIZATION="Token abc"),
        APIClient().get("/api/v1/synonyms/", HTTP_ORIGIN=OTHER),
    ]
    for response in refused:
        assert "Access-Control-Allow-Origin" not in response.headers, response.wsgi_request.path


def test_a_star_in_the_environment_means_anonymous_reads_only(tmp_path: Path) -> None:
    loaded = load_settings(
        tmp_path,
        show="s.CORS_ALLOWED_ORIGINS, s.SEARCHAPP_CORS_ANY_ORIGIN_READS, s.CORS_ALLOW_CREDENTIALS",
        SEARCHAPP_CORS_ALLOWED_ORIGINS=f"*, {SHOP}",
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == f"['{SHOP}'] True False"
