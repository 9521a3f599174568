"""The search page and the item page in real headless Chromium."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.models import Item
from tests.browser.conftest import demo_pictures

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
# Waits by locator: page.wait_for_function would eval() in the page, which the CSP refuses.
expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

Shoot = Callable[[Any, str], Path]
SETTLED = "#results[aria-busy='false']"


def _search(page: Any) -> None:
    """Submit and wait until the results region is no longer busy."""
    page.click("#search-submit")
    page.wait_for_selector(SETTLED, state="attached")


def _card_titles(page: Any) -> list[str]:
    return [title.strip() for title in page.locator("#results-body .card .title").all_inner_texts()]


def _drop_image(page: Any, png: bytes) -> None:
    """Drop a file on the drop zone the way a browser does: a drop event whose DataTransfer
    holds the file, built in the page from a data URL."""
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const file = new File([bytes], "dropped.png", { type: "image/png" });
            const transfer = new DataTransfer();
            transfer.items.add(file);
            const zone = document.getElementById("drop-zone");
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, {
                    dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
        }""",
        base64.b64encode(png).decode(),
    )


def test_browse_then_text_search_updates_results_and_url(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.goto("/")
    assert page.locator("#results-count").inner_text().startswith("28 items in the catalog")
    assert page.locator("#results-body img").first.evaluate("img => img.naturalWidth") > 0
    screenshot(page, "search-browse")
    page.fill("#search-q", "red")
    page.select_option("#search-mode", "lexical")
    page.press("#search-q", "Enter")
    page.wait_for_url(re.compile(r"/\?q=red&mode=lexical$"))
    page.wait_for_selector(SETTLED, state="attached")
    count = page.locator("#results-count")
    assert re.match(r"\d+ results for “red”", count.inner_text())
    assert count.get_attribute("aria-live") == "polite"
    titles = _card_titles(page)
    # BM25: the items with "red" in the title come first (their order: BM25's length norm).
    assert set(titles[:5]) == {
        "Red Stoneware Mug", "Red and Cream Striped Scarf", "Red Canvas Sneakers",
        "Red Hardcover Notebook", "Red Camping Lantern",
    }  # fmt: skip
    assert page.locator("#results-body .score").first.inner_text().startswith("score ")
    assert page.locator("#results-body").get_by_text("Answered by lexical search").count() == 1
    screenshot(page, "search-text")
    page.set_viewport_size({"width": 390, "height": 844})
    too_wide = page.evaluate(
        """[...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > 390)
            .map((el) => `${el.tagName}#${el.id}.${el.className}`)"""
    )
    assert too_wide == []  # no sideways scrolling on a phone
    screenshot(page, "search-text-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})
    # Back returns to the catalog grid, and the form follows the address.
    page.go_back()
    expect(page.locator("#search-q")).to_have_value("")
    expect(page.locator("#results-count")).to_have_text(re.compile(r"^28 items"))


def test_pick_an_image_shows_preview_and_image_results(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.goto("/")
    assert page.locator("#image-preview").is_hidden()
    page.set_input_files(
        "#search-image",
        files=[
            {"name": "mug.png", "mimeType": "image/png", "buffer": demo_pictures()["demo-mug-blue"]}
        ],
    )
    preview = page.locator("#image-preview-img")
    assert preview.is_visible() and preview.evaluate("img => img.naturalWidth") == 512
    page.select_option("#search-mode", "semantic")
    _search(page)
    assert "results for your image" in page.locator("#results-count").inner_text()
    # The same picture is the nearest neighbour, whatever the tiny model's weights.
    assert _card_titles(page)[0] == "Blue Stoneware Mug"
    assert page.locator("#results-body .matched-image").first.inner_text() == "matched image"
    assert page.url.endswith("/")  # a multipart search has no shareable address
    screenshot(page, "search-image")
    # Paging resubmits the form with the same image.
    page.click("#results-body button[name=page][value='2']")
    expect(page.locator("#results-count")).to_contain_text("showing 25–28")
    assert page.locator("#results-heading").evaluate("h => document.activeElement === h")
    page.click("#image-remove")
    assert page.locator("#image-preview").is_hidden() and page.locator("#image-remove").is_hidden()
    assert page.evaluate("document.querySelector('#search-image').files.length") == 0


def test_drop_and_paste_an_image(page: Any, demo_catalog: list[Item], screenshot: Shoot) -> None:
    page.goto("/")
    _drop_image(page, demo_pictures()["demo-tent-orange"])
    assert page.locator("#image-preview-img").is_visible()
    assert page.evaluate("document.querySelector('#search-image').files[0].name") == "dropped.png"
    page.fill("#search-q", "tent")
    _search(page)
    assert "results for “tent” + your image" in page.locator("#results-count").inner_text()
    assert "Orange Two-Person Tent" in _card_titles(page)[:2]
    screenshot(page, "search-drop")
    # Ctrl+V with an image on the clipboard replaces the query image.
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
            document.body.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: transfer, bubbles: true, cancelable: true }));
        }""",
        base64.b64encode(demo_pictures()["demo-clock-white"]).decode(),
    )
    assert page.evaluate("document.querySelector('#search-image').files[0].name") == "pasted.png"


def test_category_filter_shows_only_that_category(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.goto("/")
    page.fill("#search-q", "red")
    _search(page)
    page.get_by_role("checkbox", name=re.compile(r"^Kitchen \d+ items?$")).click()
    page.wait_for_url(re.compile(r"category=Kitchen"))
    page.wait_for_selector(SETTLED, state="attached")
    categories = page.locator("#results-body .card .category").all_inner_texts()
    assert categories and set(categories) == {"Kitchen"}
    screenshot(page, "search-category")
    # Without a query the filter narrows the catalog grid.
    page.fill("#search-q", "")
    _search(page)
    page.wait_for_url(re.compile(r"/\?category=Kitchen$"))
    assert page.locator("#results-count").inner_text().startswith("4 items in the catalog")


def test_item_page_shows_similar_items(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.goto("/?q=teapot&mode=lexical")
    page.click("#results-body .card .title a")
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    assert page.locator("h1").inner_text() == "Sage Green Ceramic Teapot"
    assert page.locator(".gallery img").first.get_attribute("alt").startswith("Sage Green")
    similar = page.locator(".similar .card")
    assert similar.count() == 8
    assert "Sage Green Ceramic Teapot" not in page.locator(".similar").inner_text()
    screenshot(page, "item-page")
    page.click("text=More like this")
    page.wait_for_url(re.compile(r"/\?item_id=\d+$"))
    assert "items like “Sage Green Ceramic Teapot”" in page.locator("#results-count").inner_text()


def test_an_invalid_search_shows_the_alert(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.goto("/")
    page.fill("#search-q", "mug")
    page.fill("#search-price-min", "50")
    page.fill("#search-price-max", "10")
    _search(page)
    alert = page.locator("#results-body [role=alert]")
    assert alert.is_visible() and "price_min is greater than price_max" in alert.inner_text()
    assert page.locator("#results-count").inner_text() == "The search could not run."
    assert page.locator("#search-submit").is_enabled()
    screenshot(page, "search-error")
    page.fill("#search-q", "zzzz-nothing")
    page.fill("#search-price-min", "")
    page.select_option("#search-mode", "lexical")
    _search(page)
    assert "No items match “zzzz-nothing”" in page.locator("#results-body .empty").inner_text()
    screenshot(page, "search-empty")


def test_loading_state_while_searching(page: Any, demo_catalog: list[Item]) -> None:
    page.goto("/")
    page.route("**/?q=*", lambda route: (page.wait_for_timeout(600), route.continue_()))
    page.fill("#search-q", "lamp")
    page.click("#search-submit")
    page.wait_for_selector("#results[aria-busy='true']", state="attached")
    assert page.locator("#results-loading").is_visible()
    assert page.locator("#search-submit").is_disabled()
    page.wait_for_selector(SETTLED, state="attached")
    assert page.locator("#results-loading").is_hidden()


def test_keyboard_reaches_the_controls(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.goto("/")
    reached: list[str] = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    wanted = ["search-q", "search-submit", "search-image", "search-mode", "search-sort"]
    assert all(name in reached for name in wanted), reached
    assert [reached.index(name) for name in wanted] == sorted(reached.index(n) for n in wanted)
    page.focus("#search-image")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard: :focus-visible applies
    assert page.evaluate("document.activeElement.id") == "search-image"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    screenshot(page, "search-keyboard-focus")
    # Every control has a label.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
            .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.name)"""
    )
    assert unlabelled == []


def test_without_javascript_the_form_still_searches(
    browser: Any, live_server: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        page.fill("#search-q", "lamp")
        page.select_option("#search-mode", "lexical")
        page.click("#search-submit")  # a POST without an image: redirected to its address
        page.wait_for_url(re.compile(r"/\?q=lamp&mode=lexical$"))
        assert "Black Desk Lamp" in _card_titles(page)
        page.set_input_files(
            "#search-image",
            files=[{"name": "lamp.png", "mimeType": "image/png",
                    "buffer": demo_pictures()["demo-lamp-yellow"]}],
        )  # fmt: skip
        page.fill("#search-q", "")
        page.select_option("#search-mode", "semantic")
        page.click("#search-submit")
        page.wait_for_load_state()
        assert "results for your image" in page.locator("#results-count").inner_text()
        assert _card_titles(page)[0] == "Yellow Desk Lamp"
        assert page.locator("#image-preview-img").is_visible()  # the echoed query image
        assert page.locator("#image-remove").is_hidden()  # it needs the script
        screenshot(page, "search-nojs-image")
        page.click("#results-body button[name=page][value='2']")  # pages with the same image
        page.wait_for_load_state()
        assert "showing 25–28" in page.locator("#results-count").inner_text()
    finally:
        context.close()
