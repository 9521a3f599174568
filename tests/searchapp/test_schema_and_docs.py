from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_api() -> None:
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in [
        "/api/v1/items/",
        "/api/v1/items/{item_id}/",
        "/api/v1/items/{item_id}/images/",
        "/api/v1/health/",
    ]:
        assert path in paths, path
    assert set(paths["/api/v1/items/"]) >= {"get", "post"}
    content = paths["/api/v1/items/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)


def test_schema_says_where_an_image_may_be_given_as_a_url() -> None:
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    components = schema.json()["components"]["schemas"]
    image_fields = {
        "item create": components["ItemCreateInputRequest"]["properties"]["images"]["items"],
        "image sub-resource": components["ItemImageInputRequest"]["properties"]["image"],
        "search": components["SearchInputRequest"]["properties"]["image"],
    }
    for where, field in image_fields.items():
        kinds = [(option.get("format"), option["description"]) for option in field["oneOf"]]
        assert [kind for kind, _ in kinds] == ["binary", None, "uri"], where
        assert "http(s) URL" in kinds[2][1] and "public addresses only" in kinds[2][1], where
    paths = schema.json()["paths"]
    assert "http(s) image URLs" in paths["/api/v1/items/"]["post"]["description"]
    assert "http(s) image URL" in paths["/api/v1/items/{item_id}/images/"]["post"]["description"]


def test_interactive_docs_work_offline() -> None:
    client = APIClient()
    page = client.get("/api/v1/docs/").content.decode()
    assert "swagger" in page.lower()
    # Every script and stylesheet comes from this server, none from a CDN.
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
