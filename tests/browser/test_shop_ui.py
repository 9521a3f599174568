"""The shopper's half of the search page in real headless Chromium: suggestions while typing
(an ARIA combobox), the filter sidebar with counts, sorting, and the address keeping it all."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from catalog.models import Item
from search.models import FacetAttribute

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

Shoot = Callable[[Any, str], Path]
SETTLED = "#results[aria-busy='false']"
COUNTED = re.compile(r"^(?P<label>.+) (?P<count>\d+) items?$")


def _settle(page: Any, url: str) -> None:
    page.wait_for_url(re.compile(re.escape(url) + "$"))
    page.wait_for_selector(SETTLED, state="attached")


def _facet_counts(page: Any, legend: str) -> dict[str, int]:
    """The sidebar's values of one facet with their counts, from the checkboxes' names."""
    group = page.locator("#facets fieldset", has=page.locator(f"legend:text-is('{legend}')"))
    counts = {}
    for box in group.get_by_role("checkbox").all():
        label = page.locator(f"label[for='{box.get_attribute('id')}']").inner_text()
        found = COUNTED.match(" ".join(label.split()))
        assert found, label
        counts[found["label"]] = int(found["count"])
    return counts


def _results_count(page: Any) -> int:
    return int(page.locator("#results-count").inner_text().split()[0])


def _cards(page: Any) -> list[tuple[str, Decimal]]:
    cards = page.locator("#results-body .card").all()
    return [
        (card.locator(".title").inner_text().strip(),
         Decimal(card.locator(".price").inner_text().lstrip("$")))
        for card in cards
    ]  # fmt: skip


def test_type_pick_a_suggestion_tick_facets_sort_and_go_back(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    FacetAttribute.objects.create(key="color", label="Colour")
    page.goto("/")
    page.select_option("#search-mode", "lexical")
    box = page.locator("#search-q")
    box.press_sequentially("re", delay=40)
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "true"
    expect(listbox.get_by_role("group", name="Items")).to_contain_text("Red Stoneware Mug")
    assert listbox.locator(".suggestion-items img").first.evaluate("i => i.naturalWidth") > 0
    screenshot(page, "shop-suggestions")
    box.press("ArrowDown")
    first = listbox.get_by_role("option").first
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true" and first.inner_text() == "red"
    box.press("Enter")  # picks the completed query and searches it
    _settle(page, "/?q=red&mode=lexical")
    expect(listbox).to_be_hidden()
    assert box.get_attribute("aria-expanded") == "false" and box.input_value() == "red"
    total = _results_count(page)
    categories = _facet_counts(page, "Category")
    # Lexical results keep their natural set; the category counts add up to it.
    assert sum(categories.values()) == total and categories["Kitchen"] >= 1
    assert "red" in _facet_counts(page, "Colour")
    # Tick two categories: the address, the count and the results follow; counts within the
    # category facet stay disjunctive (Outdoor still says how many it would add).
    page.get_by_role("checkbox", name=re.compile(r"^Kitchen \d")).click()
    _settle(page, "/?q=red&category=Kitchen&mode=lexical")
    assert _results_count(page) == categories["Kitchen"]
    assert _facet_counts(page, "Category") == categories
    page.get_by_role("checkbox", name=re.compile(r"^Outdoor \d")).click()
    _settle(page, "/?q=red&category=Kitchen&category=Outdoor&mode=lexical")
    both = categories["Kitchen"] + categories["Outdoor"]
    assert _results_count(page) == both == len(_cards(page))
    assert set(page.locator("#results-body .category").all_inner_texts()) == {"Kitchen", "Outdoor"}
    assert page.get_by_role("checkbox", name=re.compile(r"^Outdoor \d")).is_checked()
    relevance_order = [title for title, _ in _cards(page)]
    # Sort by price, low to high: the same set, cheapest first.
    page.select_option("#search-sort", "price")
    _settle(page, "/?q=red&category=Kitchen&category=Outdoor&mode=lexical&sort=price")
    by_price = _cards(page)
    assert [price for _, price in by_price] == sorted(price for _, price in by_price)
    assert sorted(title for title, _ in by_price) == sorted(relevance_order)
    assert _results_count(page) == both
    screenshot(page, "shop-facets-sorted")
    # Back: relevance order again; back again: both categories unticked, the whole set.
    page.go_back()
    _settle(page, "/?q=red&category=Kitchen&category=Outdoor&mode=lexical")
    expect(page.locator("#search-sort")).to_have_value("relevance")
    assert [title for title, _ in _cards(page)] == relevance_order
    page.go_back()
    _settle(page, "/?q=red&category=Kitchen&mode=lexical")
    page.go_back()
    _settle(page, "/?q=red&mode=lexical")
    assert _results_count(page) == total
    assert not page.get_by_role("checkbox", name=re.compile(r"^Kitchen \d")).is_checked()
    # A price range and a colour, then "Clear all" drops every filter but keeps the query.
    page.get_by_role("checkbox", name=re.compile(r"^red \d")).click()
    _settle(page, "/?q=red&mode=lexical&attr.color=red")
    page.get_by_role("radio", name=re.compile(r"^Up to \$")).first.click()
    page.wait_for_url(re.compile(r"price_max=\d"))
    page.wait_for_selector(SETTLED, state="attached")
    assert all(price < 50 for _, price in _cards(page))
    page.click("#facets-clear")
    _settle(page, "/?q=red&mode=lexical")
    assert _results_count(page) == total


def test_pick_a_category_or_an_item_and_close_with_escape(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.goto("/")
    box = page.locator("#search-q")
    box.press_sequentially("stati", delay=40)
    listbox = page.get_by_role("listbox", name="Suggestions")
    category = listbox.get_by_role("option", name=re.compile(r"^in Stationery"))
    expect(category).to_be_visible()
    box.press("Escape")  # closes the list, keeps the text
    expect(listbox).to_be_hidden()
    assert box.input_value() == "stati"
    box.press("ArrowDown")  # opens it again
    expect(listbox).to_be_visible()
    category.click()  # a category browses it
    _settle(page, "/?category=Stationery")
    assert box.input_value() == ""
    assert page.locator("#results-count").inner_text().startswith("3 items in the catalog")
    assert page.get_by_role("checkbox", name=re.compile(r"^Stationery \d")).is_checked()
    box.press_sequentially("teap", delay=40)
    item = listbox.get_by_role("option", name=re.compile("Sage Green Ceramic Teapot"))
    expect(item).to_be_visible()
    for _ in range(listbox.get_by_role("option").count()):
        box.press("ArrowDown")
        if item.get_attribute("aria-selected") == "true":
            break
    box.press("Enter")  # an item opens its page
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    assert page.locator("h1").inner_text() == "Sage Green Ceramic Teapot"


def test_escape_drops_the_suggestions_still_on_their_way(
    page: Any, demo_catalog: list[Item]
) -> None:
    """Closed is closed: the answer to the text typed just before Escape, arriving after it,
    does not open the list again."""
    held: list[Any] = []

    def hold_the_last_letter(route: Any) -> None:
        if "q=stati" in route.request.url:
            held.append(route)  # answered when the test releases it
        else:
            route.continue_()

    page.route("**/api/v1/suggest/**", hold_the_last_letter)
    page.goto("/")
    box = page.locator("#search-q")
    listbox = page.get_by_role("listbox", name="Suggestions")
    box.press_sequentially("stat", delay=40)
    expect(listbox.get_by_role("option", name=re.compile(r"^in Stationery"))).to_be_visible()
    box.press_sequentially("i", delay=40)
    for _ in range(100):  # the request goes out once typing pauses (150 ms)
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    box.press("Escape")
    expect(listbox).to_be_hidden()
    with page.expect_response("**/api/v1/suggest/**"):
        held[0].continue_()
    page.wait_for_timeout(300)  # the answer has been read and handled by now
    expect(listbox).to_be_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "stati"


def test_narrow_screen_folds_the_sidebar(
    page: Any, demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/?q=red&mode=lexical")
    toggle = page.locator("#facets-toggle")
    expect(toggle).to_be_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#facets").is_hidden()
    screenshot(page, "shop-narrow-folded")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    expect(page.locator("#facets")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile(r"^Footwear \d")).click()
    _settle(page, "/?q=red&category=Footwear&mode=lexical")
    expect(page.locator("#facets")).to_be_visible()  # stays open across the swap
    expect(toggle).to_have_text("Filters (1 chosen)")
    too_wide = page.evaluate(
        """[...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > 390)
            .map((el) => `${el.tagName}#${el.id}.${el.className}`)"""
    )
    assert too_wide == []
    screenshot(page, "shop-narrow-open")
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(toggle).to_be_hidden()
    expect(page.locator("#facets")).to_be_visible()
