"""Clients generated from the live OpenAPI schema, used as a storefront developer would: a
Python client (openapi-python-client) and TypeScript types (openapi-typescript) each search by
text, search by an image sent as a data URL, list items and read a 400 as the typed error."""

from __future__ import annotations

import base64
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog.models import Item
from tests.search.api.test_search_api import IMAGE, catalog  # noqa: F401

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_cutoff", "catalog"),
]
IMAGE_DATA_URL = "data:image/png;base64," + base64.b64encode(IMAGE).decode()
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
TSC_OPTIONS = ["--strict", "--target", "es2022", "--module", "commonjs", "--lib", "es2022,dom"]


@pytest.fixture
def schema_path(live_server: Any, tmp_path: Path) -> Path:
    response = httpx.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=30)
    assert response.status_code == 200, response.text
    path = tmp_path / "schema.json"
    path.write_bytes(response.content)
    return path


@pytest.fixture
def python_client(schema_path: Path, tmp_path: Path) -> Iterator[Any]:
    """The generated package, imported from where the generator wrote it."""
    output = tmp_path / "python-client"
    subprocess.run(  # noqa: S603 - the generator from this virtual environment, offline
        [str(GENERATOR), "generate", "--path", str(schema_path), "--output-path", str(output)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module("searchapp_api_client")
    finally:
        sys.path.remove(str(output))
        for name in [name for name in sys.modules if name.startswith("searchapp_api_client")]:
            del sys.modules[name]


def test_the_generated_python_client_searches_lists_and_reads_typed_errors(
    python_client: Any, live_server: Any
) -> None:
    search = importlib.import_module("searchapp_api_client.api.search.search")
    search_by_params = importlib.import_module("searchapp_api_client.api.search.search_by_params")
    items_list = importlib.import_module("searchapp_api_client.api.items.items_list")
    models = importlib.import_module("searchapp_api_client.models")
    client = python_client.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    by_text = search_by_params.sync(client=client, q="lamp", mode=models.ModeEnum.SEMANTIC)
    assert isinstance(by_text, models.SearchOutput)
    assert [hit.item.title for hit in by_text.results][:3] == [
        "Desk lamp",
        "Floor lamp",
        "Red lamp",
    ]

    by_text_json = search.sync(
        client=client, body=models.SearchInputRequest(text="lamp", mode=models.ModeEnum.SEMANTIC)
    )
    assert isinstance(by_text_json, models.SearchOutput)
    assert by_text_json.results[0].item.title == "Desk lamp"

    by_image = search.sync(
        client=client,
        body=models.SearchInputRequest(image=IMAGE_DATA_URL, mode=models.ModeEnum.SEMANTIC),
    )
    assert isinstance(by_image, models.SearchOutput)
    assert by_image.results[0].item.title == "Red mug"

    listed = items_list.sync(client=client, ordering=models.ItemsListOrdering.TITLE)
    assert isinstance(listed, models.PaginatedItemOutputList)
    assert listed.count == len(Item.objects.all())
    assert {item.title for item in listed.results} == {
        "Desk lamp", "Floor lamp", "Red mug", "Red lamp"
    }  # fmt: skip

    bad = search.sync(client=client, body=models.SearchInputRequest(text="lamp", k=0))
    assert isinstance(bad, models.Error)
    assert bad.detail
    assert "k" in bad.errors.to_dict()


@pytest.mark.skipif(
    not (NODE_BIN / "openapi-typescript").exists() or shutil.which("node") is None,
    reason="the TypeScript tools are not installed: run `npm ci` (.ci/run does) with Node.js",
)
def test_typescript_types_from_the_schema_check_and_run_a_fetch_client(
    schema_path: Path, live_server: Any, tmp_path: Path
) -> None:
    def run(*command: str) -> str:
        finished = subprocess.run(  # noqa: S603 - tools from node_modules, offline
            command, capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
        return finished.stdout

    shutil.copy(Path(__file__).parent / "clients" / "client.ts", tmp_path / "client.ts")
    # Fields with a default stay optional in request bodies, as the server treats them.
    run(
        str(NODE_BIN / "openapi-typescript"), str(schema_path), "--output", "schema.d.ts",
        "--default-non-nullable", "false",
    )  # fmt: skip
    run(str(NODE_BIN / "tsc"), "--noEmit", *TSC_OPTIONS, "client.ts")
    run(str(NODE_BIN / "tsc"), *TSC_OPTIONS, "--outDir", "js", "client.ts")
    node = shutil.which("node")
    assert node is not None
    output = json.loads(run(node, "js/client.js", live_server.url, IMAGE_DATA_URL))

    assert output["by_text"][:3] == ["Desk lamp", "Floor lamp", "Red lamp"]
    assert output["by_image"][0] == "Red mug"
    assert sorted(output["items"]) == ["Desk lamp", "Floor lamp", "Red lamp", "Red mug"]
    assert output["count"] == 4
    assert output["bad_status"] == 400
    assert output["bad_detail"]
    assert "k" in output["bad_fields"]
