"""The quality review page in real headless Chromium: near-duplicates side by side, then
the bulk action that deactivates the copy (screenshots in /tmp/searchapp-screens)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from catalog.models import Item
from embeddings import spaces
from embeddings.inputs import item_text
from quality.models import Finding, FindingKind
from quality.services import catalog_scan, scan_run_create
from tests.browser.conftest import browser, screenshot, watched_page  # noqa: F401 (fixtures)
from tests.embeddings.factories import make_item
from tests.quality.conftest import embed

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CATALOG: list[tuple[str, str, str, list[float]]] = [
    ("mug-1", "Blue ceramic mug", "mugs", [1, 0, 0, 0, 0, 0, 0]),
    ("mug-1-copy", "Blue ceramic mug (copy)", "mugs", [1, 0.02, 0, 0, 0, 0, 0]),
    ("mug-2", "Tall travel mug", "mugs", [0.9, 0, 0.5, 0, 0, 0, 0]),
    ("mug-3", "Espresso cup", "mugs", [0.9, 0, -0.5, 0, 0, 0, 0]),
    ("hat-1", "Wool beanie", "hats", [0, 1, 0, 0.5, 0, 0, 0]),
    ("hat-2", "Straw sun hat", "hats", [0, 1, 0, -0.5, 0, 0, 0]),
    ("hat-3", "Baseball cap", "hats", [0, 1, 0, 0, 0.5, 0, 0]),
    ("hat-4", "Felt beret", "mugs", [0.1, 1, 0, 0, -0.5, 0, 0]),
]


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:  # noqa: F811
    """An admin page; script errors fail the test (the admin's missing favicon does not)."""
    context, page, errors = watched_page(browser, base_url=live_server.url)
    yield page
    context.close()
    assert [e for e in errors if "status of 404" not in e] == []


def test_review_near_duplicates_and_deactivate_the_copy(
    page: Any,
    geometry: dict[str, list[float]],
    screenshot: Callable[[Any, str], Path],  # noqa: F811
) -> None:
    for external_id, title, category, vector in CATALOG:
        item = make_item(external_id, title=title, category=category, images=1)
        geometry[item_text(item)] = vector
    space = spaces.space_create(name="text", provider_alias="geometry-text", activate=True)
    embed(space)
    catalog_scan(run=scan_run_create())
    User.objects.create_superuser("curator-boss", "", "boss-pass-123")
    page.goto("/admin/login/")
    page.fill("#id_username", "curator-boss")
    page.fill("#id_password", "boss-pass-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#quality-counts")
    screenshot(page, "quality-admin-index")
    page.click("#quality-counts a:has-text('Near-duplicate text')")
    page.wait_for_selector("#result_list")
    cards = page.locator("#result_list .quality-card")
    assert cards.count() == 2
    assert cards.nth(0).locator("img.quality-thumb").evaluate("img => img.naturalWidth") > 0
    assert "Blue ceramic mug (copy)" in cards.nth(1).inner_text()
    evidence = page.locator("#result_list td.field-evidence").inner_text()
    assert "↔" in evidence and float(evidence.rsplit(": ", 1)[1]) > 0.99
    screenshot(page, "quality-duplicates")
    page.check("#result_list input.action-select")
    page.select_option("select[name=action]", "deactivate_duplicates")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    assert "Deactivated 1 items." in page.locator("ul.messagelist").inner_text()
    assert not Item.objects.get(external_id="mug-1-copy").is_active
    assert Finding.objects.get(kind=FindingKind.DUPLICATE).status == Finding.Status.FIXED
    page.click(".quality-kinds a:has-text('Miscategorised')")
    page.wait_for_selector("#result_list")
    assert "looks like hats" in page.locator("#result_list td.field-evidence").inner_text()
    screenshot(page, "quality-miscategorised")
