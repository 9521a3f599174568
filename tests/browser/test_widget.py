"""The embeddable widget on a storefront of its own origin (another port), allowed by CORS:
one script tag from the app, search by text through the suggestions combobox, by an image,
facets, links built from the storefront's product URL template."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from catalog.models import Item
from tests.browser.conftest import demo_pictures, watch_policy_violations, watched_page
from tests.frontend.storefront import storefront

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCT_URL = "https://shop.example.com/p/{external_id}"
# The storefront's own strict policy: the widget needs no inline script or style from it.
STOREFRONT_POLICY = "default-src 'self'; script-src {api}; connect-src {api}; img-src {api}"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<meta http-equiv="Content-Security-Policy" content="{policy}">
<script src="{api}/static/widget/searchapp-search.js" defer></script>
</head><body><h1>Our shop</h1>
<searchapp-search api="{api}" product-url="{product_url}" placeholder="Search the shop"
  k="8" mode="lexical"></searchapp-search>
</body></html>"""


@pytest.fixture
def shop(browser: Any, live_server: Any) -> Iterator[Any]:
    api = live_server.url
    html = PAGE.format(api=api, product_url=PRODUCT_URL, policy=STOREFRONT_POLICY.format(api=api))
    with storefront({"/": html}) as origin, override_settings(CORS_ALLOWED_ORIGINS=[origin]):
        context, page, errors = watched_page(
            browser, viewport={"width": 1200, "height": 900}, locale="en-US"
        )
        violations = watch_policy_violations(context)
        page.goto(f"{origin}/")
        yield page
        context.close()
        assert errors == []
        assert violations == []


def test_search_by_text_with_the_suggestions_combobox_and_facets(
    shop: Any, demo_catalog: list[Item], screenshot: Callable[[Any, str], Path]
) -> None:
    box = shop.get_by_role("combobox", name="Search the catalog")
    assert box.get_attribute("placeholder") == "Search the shop"
    box.press_sequentially("re", delay=40)
    listbox = shop.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")
    box.press("ArrowDown")
    first = listbox.get_by_role("option").first
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    picked = first.locator("span").first.inner_text()
    box.press("Enter")
    expect(listbox).to_be_hidden()
    assert box.get_attribute("aria-expanded") == "false" and box.input_value() == picked
    status = shop.get_by_role("status")
    expect(status).to_have_text(re.compile(rf"^\d+ results? for “{re.escape(picked)}”$"))
    links = shop.get_by_role("list", name="Results").get_by_role("link")
    expect(links.first).to_be_visible()
    external_ids = {item.external_id for item in demo_catalog}
    for href in links.evaluate_all("links => links.map((a) => a.href)"):
        assert href.startswith("https://shop.example.com/p/")
        assert href.rsplit("/", 1)[1] in external_ids
    thumbnail = links.first.locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0  # from the app, under the shop's CSP
    # A category facet narrows the results to it.
    filters = shop.get_by_role("navigation", name="Filters")
    category = filters.get_by_role("checkbox").first
    name = filters.locator("label").first.locator("span").first.inner_text()
    category.check()
    expect(status).to_have_text(re.compile(r"^\d+ results? for"))
    expect(shop.locator(".results .category").first).to_have_text(name)
    assert set(shop.locator(".results .category").all_inner_texts()) == {name}
    expect(filters.get_by_role("checkbox").first).to_be_checked()
    screenshot(shop, "widget-text")
    # Escape closes the suggestions.
    box.fill("")
    box.press_sequentially("mu", delay=40)
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()


def test_search_by_an_image(
    shop: Any, demo_catalog: list[Item], screenshot: Callable[[Any, str], Path]
) -> None:
    lookalike = demo_catalog[0]
    picture = demo_pictures()[lookalike.external_id]
    shop.locator("searchapp-search input[type=file]").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": picture}
    )
    expect(shop.get_by_role("status")).to_have_text(re.compile(r"^\d+ results? for the image$"))
    first = shop.get_by_role("list", name="Results").get_by_role("link").first
    assert first.get_attribute("href") == PRODUCT_URL.format(external_id=lookalike.external_id)
    screenshot(shop, "widget-image")


def test_an_image_dropped_on_the_drop_zone_searches(shop: Any, demo_catalog: list[Item]) -> None:
    picture = demo_pictures()[demo_catalog[1].external_id]
    shop.locator("searchapp-search .drop").evaluate(
        """(zone, bytes) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "drop.png", {type: "image/png"}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        list(picture),
    )
    expect(shop.get_by_role("status")).to_have_text(re.compile(r"^\d+ results? for the image$"))
    first = shop.get_by_role("list", name="Results").get_by_role("link").first
    expected = PRODUCT_URL.format(external_id=demo_catalog[1].external_id)
    assert first.get_attribute("href") == expected
