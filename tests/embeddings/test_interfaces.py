"""Spaces through the admin, the API and the management commands."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from catalog import services as catalog_services
from embeddings.models import EmbeddingSpace, ItemEmbeddingState
from embeddings.queue import space_embed_pending
from embeddings.space_provider import provider_usage_record
from embeddings.spaces import space_create
from tests.conftest import REPO_ROOT
from tests.embeddings.fakes import FakeProvider

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]


def test_spaces_api_shows_progress_and_usage() -> None:
    catalog_services.item_create(external_id="a", title="A")
    catalog_services.item_create(external_id="b", title="B")
    space = space_create(name="words", provider_alias="fake-text", activate=True)
    space_embed_pending(space=space, max_rounds=0)
    catalog_services.item_update(
        item=catalog_services.Item.objects.get(external_id="a"), title="A2"
    )
    (body,) = APIClient().get("/api/v1/spaces/").json()
    assert {k: body[k] for k in ("name", "status", "provider_alias", "model_name", "dimensions",
                                 "embeds_text", "embeds_images", "index_type")} == {
        "name": "words", "status": "active", "provider_alias": "fake-text", "model_name": "fake-6",
        "dimensions": 6, "embeds_text": True, "embeds_images": False, "index_type": "halfvec",
    }  # fmt: skip
    assert body["progress"] == {
        "total": 2, "ready": 1, "pending": 1, "failed": 0, "missing": 0, "percent_ready": 50.0
    }  # fmt: skip
    expected = {"requests": 1, "inputs": 2, "text_tokens": 0, "images": 0, "image_pixels": 0}
    assert body["usage"] == {"today": expected, "last_30_days": expected}


def test_usage_is_recorded_per_alias_and_day_and_shown_in_the_admin(
    admin_user_client: tuple[Any, Any],
) -> None:
    from embeddings.models import ProviderUsage
    from embeddings.providers.base import Usage

    provider_usage_record(alias="x", usage=Usage(requests=1, inputs=3, text_tokens=40))
    provider_usage_record(alias="x", usage=Usage(requests=2, inputs=1, images=1, image_pixels=50))
    provider_usage_record(alias="x", usage=Usage())  # nothing to add
    row = ProviderUsage.objects.get(alias="x")
    assert (row.requests, row.inputs, row.text_tokens, row.images, row.image_pixels) == (
        3,
        4,
        40,
        1,
        50,
    )
    _, client = admin_user_client
    page = client.get("/admin/embeddings/providerusage/").content.decode()
    assert ">x<" in page and ">40<" in page


def test_commands_create_a_space_and_embed_with_progress() -> None:
    catalog_services.item_create(external_id="a", title="A")
    out, err = StringIO(), StringIO()
    call_command("create_space", "words", "--provider", "fake-text", "--activate", stdout=out)
    assert "Created space words" in out.getvalue()
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_space", "words", "--provider", "fake-text", stdout=out)
    with pytest.raises(CommandError, match="cannot embed images"):
        call_command("create_space", "pics", "--provider", "fake-text", "--images", stdout=out)
    call_command("embed", "--space", "words", stdout=out, stderr=err)
    assert "1 ready, 0 pending, 0 failed of 1 items" in out.getvalue()
    assert ItemEmbeddingState.objects.get().status == "ready"
    with pytest.raises(CommandError, match="No space 'nope'"):
        call_command("embed", "--space", "nope", stdout=out)


def test_ensure_spaces_gives_each_alias_one_space() -> None:
    out = StringIO()
    call_command("ensure_spaces", stdout=out)
    call_command("ensure_spaces", stdout=out)
    assert sorted(EmbeddingSpace.objects.values_list("name", "status")) == [
        ("fake", "active"),
        ("fake-text", "active"),
    ]


def test_admin_creates_spaces_and_shows_progress_and_item_states(
    admin_user_client: tuple[Any, Any],
) -> None:
    _, client = admin_user_client
    item = catalog_services.item_create(external_id="a", title="A")
    response = client.post("/admin/embeddings/embeddingspace/add/", {
        "name": "words", "provider_alias": "fake-text", "embeds_text": "on", "activate": "on",
        "index_type": "halfvec",
    })  # fmt: skip
    assert response.status_code == 302
    space = EmbeddingSpace.objects.get(name="words")
    assert space.status == "active" and space.dimensions == 6
    listing = client.get("/admin/embeddings/embeddingspace/").content.decode()
    assert "0 / 1 / 0 of 1" in listing
    assert client.get(f"/admin/embeddings/embeddingspace/{space.pk}/change/").status_code == 200
    page = client.get(f"/admin/catalog/item/{item.pk}/change/").content.decode()
    assert "Embeddings" in page and "pending" in page
    listing = client.get("/admin/catalog/item/").content.decode()
    assert "words: pending" in listing, listing[listing.find("result_list") :][:3000]
    response = client.post(
        "/admin/catalog/item/", {"action": "reembed", "_selected_action": [item.pk]}
    )
    assert response.status_code == 302
    response = client.post(
        "/admin/embeddings/embeddingspace/", {"action": "retire", "_selected_action": [space.pk]}
    )
    assert EmbeddingSpace.objects.get().status == "retired"


def index_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name])
        return cursor.fetchone() is not None


def test_the_index_type_is_chosen_and_changed_in_the_admin(
    admin_user_client: tuple[Any, Any],
) -> None:
    _, client = admin_user_client
    response = client.post("/admin/embeddings/embeddingspace/add/", {
        "name": "words", "provider_alias": "fake-text", "embeds_text": "on", "index_type": "binary",
    })  # fmt: skip
    assert response.status_code == 302
    space = EmbeddingSpace.objects.get(name="words")
    assert space.index_type == "binary" and index_exists(space.index_name)
    binary_name = space.index_name
    page = client.get(f"/admin/embeddings/embeddingspace/{space.pk}/change/").content.decode()
    assert 'name="index_type"' in page
    response = client.post(f"/admin/embeddings/embeddingspace/{space.pk}/change/", {
        "name": "words-2", "index_type": "halfvec",
    })  # fmt: skip
    assert response.status_code == 302
    space.refresh_from_db()
    assert (space.name, space.index_type) == ("words-2", "halfvec")
    assert index_exists(space.index_name) and not index_exists(binary_name)


def test_commands_choose_and_change_the_index_type() -> None:
    out = StringIO()
    call_command("create_space", "words", "--provider", "fake-text", "--index-type", "binary",
                 stdout=out)  # fmt: skip
    assert "binary index" in out.getvalue()
    space = EmbeddingSpace.objects.get(name="words")
    assert space.index_type == "binary" and index_exists(space.index_name)
    binary_name = space.index_name
    call_command("space_index_type", "words", "halfvec", stdout=out)
    space.refresh_from_db()
    assert space.index_type == "halfvec" and index_exists(space.index_name)
    assert not index_exists(binary_name)
    assert f"halfvec index {space.index_name} built" in out.getvalue()
    with pytest.raises(CommandError, match="No space 'nope'"):
        call_command("space_index_type", "nope", "binary", stdout=out)


def test_system_check_reports_broken_aliases() -> None:
    from embeddings.checks import check_embedding_providers

    broken = {
        "nobackend": {"OPTIONS": {}},
        "missing": {"BACKEND": "embeddings.providers.nothing.Nope"},
        "wrongdims": {
            "BACKEND": "tests.embeddings.fakes.FakeProvider",
            "OPTIONS": {"dimensions": 8},
        },
    }
    with override_settings(EMBEDDING_PROVIDERS=broken):
        messages = check_embedding_providers()
    text = "\n".join(str(m) for m in messages)
    assert "nobackend" in text and "no BACKEND" in text
    assert "cannot import BACKEND" in text
    assert all(m.id == "embeddings.E001" for m in messages) and len(messages) == 2


def test_importing_the_web_app_does_not_import_onnxruntime() -> None:
    code = (
        "import django, sys; django.setup(); "
        "import searchapp.urls, searchapp.wsgi, catalog.admin, embeddings.admin, embeddings.query, embeddings.spaces; "
        "from django.test import Client; Client().get('/api/v1/items/'); "
        "heavy = [m for m in ('onnxruntime', 'tokenizers', 'torch', 'huggingface_hub') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "searchapp.settings"})  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_switching_provider_is_one_command() -> None:
    catalog_services.item_create(external_id="a", title="A")
    out = StringIO()
    call_command("create_space", "old", "--provider", "fake-text", "--activate", stdout=out)
    call_command("embed", "--space", "old", stdout=out, stderr=StringIO())
    call_command(
        "create_space",
        "new",
        "--provider",
        "fake",
        "--replace",
        "old",
        stdout=out,
        stderr=StringIO(),
    )
    assert "new is active; old is retired." in out.getvalue()
    assert dict(EmbeddingSpace.objects.values_list("name", "status")) == {
        "old": "retired",
        "new": "active",
    }
    assert ItemEmbeddingState.objects.get(space__name="new").status == "ready"
    with pytest.raises(CommandError, match="No space 'gone'"):
        call_command("create_space", "newer", "--provider", "fake", "--replace", "gone", stdout=out)


def test_replace_keeps_the_old_space_when_items_fail() -> None:
    catalog_services.item_create(external_id="a", title="Poison")
    FakeProvider.reject_text_containing = "Poison"
    out = StringIO()
    call_command("create_space", "old", "--provider", "fake-text", "--activate", stdout=out)
    with pytest.raises(CommandError, match="old stays active"):
        call_command(
            "create_space",
            "new",
            "--provider",
            "fake",
            "--replace",
            "old",
            stdout=out,
            stderr=StringIO(),
        )
    assert EmbeddingSpace.objects.get(name="old").status == "active"
