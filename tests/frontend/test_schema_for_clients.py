"""The OpenAPI schema as code generators read it: anonymous access where it is allowed, the
token prefix, one request component per content type, stable operation ids, examples."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return dict(response.json())


PUBLIC = [
    ("get", "/api/v1/items/"),
    ("get", "/api/v1/items/{item_id}/"),
    ("get", "/api/v1/items/{item_id}/images/"),
    ("get", "/api/v1/items/{item_id}/similar/"),
    ("get", "/api/v1/search/"),
    ("post", "/api/v1/search/"),
    ("get", "/api/v1/suggest/"),
    ("get", "/api/v1/facets/"),
    ("post", "/api/v1/auth/token/"),
    ("get", "/api/v1/health/"),
]
PRIVATE = [
    ("post", "/api/v1/items/"),
    ("patch", "/api/v1/items/{item_id}/"),
    ("delete", "/api/v1/items/{item_id}/"),
    ("post", "/api/v1/items/{item_id}/images/"),
    ("get", "/api/v1/synonyms/"),
    ("post", "/api/v1/rules/"),
]


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_operations_open_to_anonymous_callers_say_so(
    schema: dict[str, Any], method: str, path: str
) -> None:
    assert {} in schema["paths"][path][method]["security"]


@pytest.mark.parametrize(("method", "path"), PRIVATE)
def test_operations_that_need_a_token_do_not_offer_anonymous_access(
    schema: dict[str, Any], method: str, path: str
) -> None:
    operation = schema["paths"][path][method]
    assert {} not in operation["security"]
    assert {"tokenAuth": []} in operation["security"]
    assert "403" in operation["responses"]  # signed in without the permission


def test_the_token_scheme_states_its_prefix(schema: dict[str, Any]) -> None:
    token = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "Authorization")
    assert "Authorization: Token <key>" in token["description"]


def test_search_has_one_request_component_per_content_type(schema: dict[str, Any]) -> None:
    content = schema["paths"]["/api/v1/search/"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    components = schema["components"]["schemas"]
    json_body = components[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    form = components[content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert json_body["properties"]["filters"]["$ref"].endswith("/SearchFiltersRequest")
    assert "filters" not in form["properties"]
    assert form["properties"]["image"]["format"] == "binary"
    assert form["properties"]["category"]["type"] == "array"
    examples = content["application/json"]["examples"]
    assert {"Text", "TextWithFilters", "ImageAsADataURL", "MoreLikeThisItem"} <= set(examples)


def test_search_operations_have_stable_ids_and_one_tag(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    ids = {
        (method, path): (operation["operationId"], operation["tags"])
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert ids[("post", "/api/v1/search/")] == ("search", ["search"])
    assert ids[("get", "/api/v1/search/")] == ("search_by_params", ["search"])
    assert ids[("get", "/api/v1/suggest/")] == ("suggest", ["search"])
    assert ids[("get", "/api/v1/facets/")] == ("facets", ["search"])
    assert ids[("get", "/api/v1/items/{item_id}/similar/")] == ("items_similar", ["search"])
    assert ids[("get", "/api/v1/items/")] == ("items_list", ["items"])
    operation_ids = [operation_id for operation_id, _ in ids.values()]
    assert len(operation_ids) == len(set(operation_ids))
