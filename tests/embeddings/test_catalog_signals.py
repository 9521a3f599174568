"""Catalog writes reach the embeddings through a signal: catalog imports no embeddings code."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from django.db import transaction

from catalog import services as catalog_services
from catalog.signals import item_content_changed
from embeddings.models import ItemEmbeddingState
from embeddings.spaces import space_create
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_providers")]


@pytest.mark.parametrize("module", ["catalog/services.py", "catalog/admin.py", "catalog/models.py"])
def test_catalog_modules_import_nothing_from_embeddings(module: str) -> None:
    tree = ast.parse((REPO_ROOT / module).read_text())
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    assert imported and not [name for name in imported if name.startswith("embeddings")]


def test_the_signal_is_sent_once_the_write_commits() -> None:
    received: list[list[int]] = []

    def receiver(*, item_ids: list[int], **kwargs: Any) -> None:
        received.append(item_ids)

    item_content_changed.connect(receiver)
    try:
        with transaction.atomic():
            item = catalog_services.item_create(external_id="a", title="A")
            catalog_services.item_update(item=item, title="B")
            assert received == []  # nothing before the commit
        assert received == [[item.pk], [item.pk]]
        with pytest.raises(RuntimeError), transaction.atomic():
            catalog_services.item_update(item=item, title="C")
            raise RuntimeError("rolled back")
        assert received == [[item.pk], [item.pk]]  # a rolled-back write sends nothing
    finally:
        item_content_changed.disconnect(receiver)


def test_the_embeddings_receiver_marks_the_item_pending_after_the_commit() -> None:
    space = space_create(name="words", provider_alias="fake-text", activate=True)
    with transaction.atomic():
        item = catalog_services.item_create(external_id="a", title="A")
        assert not ItemEmbeddingState.objects.filter(item=item).exists()
    assert ItemEmbeddingState.objects.get(space=space, item=item).status == "pending"
