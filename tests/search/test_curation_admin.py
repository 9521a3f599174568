"""Curation in the admin: add pages prefilled from links, a rule's preview (before / after,
nothing saved), synonym import and export."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services as catalog_services
from search.models import QueryRule, SynonymGroup

pytestmark = pytest.mark.django_db(transaction=True)

RULE_FORM = {"name": "Chairs first", "position": "0", "is_active": "on", "match": "equals",
             "condition": "lamp", "categories": "[]", "pins": '[{"item": "chair", "position": 1}]',
             "hide": '["lamp-b"]', "boosts": "[]", "filters": "{}", "replace_query": ""}  # fmt: skip


def test_add_pages_are_prefilled_from_their_links(admin_user_client: tuple[Any, Any]) -> None:
    _, client = admin_user_client
    synonym = client.get("/admin/search/synonymgroup/add/", {"terms": "sofa,couch"})
    assert synonym.status_code == 200
    assert synonym.context["adminform"].form.initial["terms"] == "sofa,couch"
    rule = client.get("/admin/search/queryrule/add/", {"query": "Red  LAMP!"})
    initial = rule.context["adminform"].form.initial
    assert initial["condition"] == "red lamp" and "red lamp" in initial["name"]


def test_a_rule_preview_shows_before_and_after_and_saves_nothing(
    admin_user_client: tuple[Any, Any],
) -> None:
    _, client = admin_user_client
    for external_id, title in (("lamp-a", "Desk lamp"), ("lamp-b", "Floor lamp"),
                               ("chair", "Oak chair")):  # fmt: skip
        catalog_services.item_create(external_id=external_id, title=title)
    page = client.post("/admin/search/queryrule/add/", {**RULE_FORM, "_preview": "Preview"})
    assert page.status_code == 200
    preview = page.context["adminform"].form.preview
    assert [hit.item.external_id for hit in preview.before.hits] == ["lamp-a", "lamp-b"]
    assert [(hit.item.external_id, hit.pinned) for hit in preview.after.hits] == [
        ("chair", True), ("lamp-a", False)
    ]  # fmt: skip
    html = page.content.decode()
    assert 'id="rule-preview"' in html and "Preview only: nothing was saved" in html
    assert not QueryRule.objects.exists()
    saved = client.post("/admin/search/queryrule/add/", RULE_FORM)
    assert saved.status_code == 302 and QueryRule.objects.get().pins[0]["item"] == "chair"
    wrong = client.post("/admin/search/queryrule/add/", {**RULE_FORM, "hide": '["ghost"]'})
    assert "No item has the external id ghost." in wrong.content.decode()


def test_synonyms_import_and_export_in_the_admin(admin_user_client: tuple[Any, Any]) -> None:
    _, client = admin_user_client
    upload = SimpleUploadedFile("synonyms.txt", b"sofa, couch\ntee => t-shirt\nbroken =>\n")
    done = client.post(
        "/admin/search/synonymgroup/import/", {"fmt": "solr", "file": upload}, follow=True
    )
    text = done.content.decode()
    assert "Imported 2 synonym groups." in text and "line 3" in text
    ids = [str(pk) for pk in SynonymGroup.objects.values_list("pk", flat=True)]
    exported = client.post(
        "/admin/search/synonymgroup/",
        {"action": "export_solr", "_selected_action": ids},
    )
    assert exported["Content-Disposition"] == 'attachment; filename="synonyms.txt"'
    assert exported.content.decode().splitlines()[1:] == ["sofa, couch", "tee => t shirt"]
    csv = client.post(
        "/admin/search/synonymgroup/", {"action": "export_csv", "_selected_action": ids}
    )
    assert csv.content.decode().splitlines()[0] == "kind,source,terms,expand_semantic,is_active"
    added = client.post(
        "/admin/search/synonymgroup/add/",
        {"kind": "two_way", "terms": "Armchair, easy chair", "source": "", "is_active": "on"},
    )
    assert added.status_code == 302
    assert SynonymGroup.objects.order_by("-id").first().terms == ["armchair", "easy chair"]  # type: ignore[union-attr]
