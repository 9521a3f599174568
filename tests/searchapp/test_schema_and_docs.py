from __future__ import annotations

import re
from typing import Any

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


def test_every_error_the_api_gives_is_declared_with_the_error_envelope() -> None:
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    envelope = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {"detail", "errors"}

    def errors(path: str, method: str) -> dict[str, Any]:
        responses = schema["paths"][path][method]["responses"]
        return {
            code: response["content"]["application/json"]["schema"]
            for code, response in responses.items()
            if code >= "400"
        }

    create = errors("/api/v1/items/", "post")
    assert set(create) >= {"400", "401", "403", "413", "415", "503"}
    assert all(body == envelope for body in create.values())
    assert set(errors("/api/v1/items/", "get")) >= {"400", "404", "503"}  # 404: past the last page
    assert set(errors("/api/v1/items/{item_id}/", "delete")) >= {"401", "403", "404", "503"}
    assert "400" in errors("/api/v1/search/", "get") and "403" not in errors(
        "/api/v1/search/", "post"
    )
    assert errors("/api/v1/health/", "get") == {"503": {"$ref": "#/components/schemas/Health"}}
    listing = schema["paths"]["/api/v1/items/"]["get"]["responses"]["200"]["content"]
    assert listing["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedItemOutputList"
    }


def test_api_urls_answer_json_errors_and_pages_stay_html(monkeypatch: pytest.MonkeyPatch) -> None:
    client = APIClient(raise_request_exception=False)
    missing = client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("catalog.selectors.item_list", crash)
    failed = client.get("/api/v1/items/")
    assert failed.status_code == 500
    assert failed.json() == {"detail": "Internal server error; it has been logged."}
