"""A curator adds a synonym group and a pin rule in the admin (real Chromium), with the
rule's preview; the shopper's page then finds the synonym's items and shows the pinned one
first, marked. Screenshots: curation-rule-preview (the before / after table in the rule's
form), curation-shopper (the shopper's results: the pinned card first, with its mark)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from catalog.services import item_create
from tests.browser.conftest import watch_policy_violations, watched_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Shoot = Callable[[Any, str], Path]
SETTLED = "#results[aria-busy='false']"


@pytest.fixture
def curator_page(browser: Any, live_server: Any) -> Iterator[Any]:
    User.objects.create_superuser("merch", "", "merch-pass-123")
    context, page, errors = watched_page(browser, base_url=live_server.url)
    violations = watch_policy_violations(context)
    page.goto("/admin/login/")
    page.fill("#id_username", "merch")
    page.fill("#id_password", "merch-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    yield page
    context.close()
    assert [e for e in errors if "status of 404" not in e] == [] and violations == []


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#results-body .card .title").all_inner_texts()]


def test_a_curator_adds_a_synonym_and_a_pin_and_the_shopper_sees_them(
    curator_page: Any, screenshot: Shoot
) -> None:
    page = curator_page
    item_create(external_id="couch-1", title="Blue velvet couch", category="Seating")
    item_create(external_id="desk-1", title="Oak writing desk", category="Desks")
    item_create(external_id="lamp-1", title="Reading lamp", category="Lamps")

    page.goto("/?q=sofa&mode=lexical")
    assert page.locator("#results-count").inner_text().startswith("0 results")

    page.goto("/admin/search/synonymgroup/add/?terms=sofa,couch")
    assert page.input_value("#id_terms") == "sofa,couch"
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/search/synonymgroup/$"))

    page.goto("/admin/search/queryrule/add/?query=Sofa")
    assert page.input_value("#id_condition") == "sofa"
    page.fill("#id_pins", '[{"item": "desk-1", "position": 1}]')
    page.click("input[name=_preview]")
    preview = page.locator("#rule-preview")
    assert preview.locator("td.preview-after").first.inner_text().startswith("Oak writing desk")
    assert "pinned" in preview.locator("td.preview-after").first.inner_text()
    assert preview.locator("td.preview-before").first.inner_text().startswith("Blue velvet couch")
    screenshot(page, "curation-rule-preview")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/search/queryrule/$"))

    page.goto("/?q=sofa&mode=lexical")
    page.wait_for_selector(SETTLED, state="attached")
    assert _titles(page) == ["Oak writing desk", "Blue velvet couch"]
    first = page.locator("#results-body .card").first
    assert first.locator(".pinned").inner_text() == "pinned"
    assert page.locator("#results-body .card").nth(1).locator(".pinned").count() == 0
    screenshot(page, "curation-shopper")
