"""The search page's filter sidebar and sort order, rendered by the server (no JavaScript),
and the same choices on the command line."""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from catalog import services
from catalog.models import Item
from search.models import FacetAttribute

pytestmark = pytest.mark.django_db(transaction=True)
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def shop() -> dict[str, Item]:
    FacetAttribute.objects.create(key="color", label="Colour")
    rows = [
        ("kettle", "Red kettle", "Kitchen", "30", "red"),
        ("mug", "Blue mug", "Kitchen", "12.50", "blue"),
        ("hose", "Red garden hose", "Garden", "45", "red"),
        ("hat", "Red wool hat", "Apparel", "20", "red"),
        ("scarf", "Blue wool scarf", "Apparel", None, "blue"),
    ]
    return {
        key: services.item_create(
            external_id=key, title=title, category=category,
            price=Decimal(price) if price else None, attributes={"color": color},
        )
        for key, title, category, price, color in rows
    }  # fmt: skip


def _page(params: dict[str, Any] | None = None, **headers: Any) -> str:
    response = Client().get("/", params or {}, **headers)
    assert response.status_code == 200, response.content
    return response.content.decode()


def _titles(page: str) -> list[str]:
    return re.findall(r'<h3 class="title"><a href="/items/\d+/">([^<]+)</a>', page)


def _counts(page: str, name: str) -> dict[str, int]:
    """A facet's values and counts as the sidebar shows them."""
    found = re.findall(
        rf'name="{re.escape(name)}" value="([^"]*)" form="search-form"[^>]*>\s*'
        r'<label[^>]*><span class="facet-label">[^<]*</span> <span class="facet-count">(\d+)',
        page,
    )
    return {value: int(count) for value, count in found}


def _checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{re.escape(name)}" value="([^"]*)" form="search-form" checked', page)


def test_browse_counts_each_facet_without_its_own_filter(shop: dict[str, Item]) -> None:
    page = _page()
    assert _counts(page, "category") == {"Kitchen": 2, "Apparel": 2, "Garden": 1}
    assert _counts(page, "attr.color") == {"red": 3, "blue": 2}
    assert "<legend>Colour</legend>" in page and "Clear all" not in page
    # Disjunctive within a facet: with Kitchen chosen, Apparel still says what it would add.
    page = _page({"category": "Kitchen", "attr.color": "red"})
    assert _titles(page) == ["Red kettle"]
    assert _counts(page, "category") == {"Kitchen": 1, "Apparel": 1, "Garden": 1}
    assert _counts(page, "attr.color") == {"red": 1, "blue": 1}
    assert _checked(page, "category") == ["Kitchen"] and _checked(page, "attr.color") == ["red"]
    assert 'id="facets-clear"' in page and "1 item in the catalog, in Kitchen" in page
    # Each count is what choosing the value returns.
    for value, count in _counts(page, "category").items():
        chosen = _page({"category": value, "attr.color": "red"})
        assert len(_titles(chosen)) == count


def test_browse_sorts_the_catalog(shop: dict[str, Item]) -> None:
    assert _titles(_page({"sort": "price"})) == [
        "Blue mug", "Red wool hat", "Red kettle", "Red garden hose", "Blue wool scarf"
    ]  # fmt: skip
    assert _titles(_page({"sort": "title"}))[0] == "Blue mug"
    page = _page({"sort": "-price"})
    assert _titles(page)[:2] == ["Red garden hose", "Red kettle"]
    assert "5 items in the catalog, price: high to low." in page
    assert '<option value="-price" selected>' in page
    response = Client().get("/", {"sort": "cheapest"})
    assert response.status_code == 400 and "Sort: choose one of" in response.content.decode()


def test_search_facets_follow_the_results(shop: dict[str, Item]) -> None:
    page = _page({"q": "red", "mode": "lexical"})
    assert "3 results for “red”" in page
    assert _counts(page, "category") == {"Kitchen": 1, "Garden": 1, "Apparel": 1}
    assert _counts(page, "attr.color") == {"red": 3}
    page = _page(
        {"q": "red", "mode": "lexical", "category": ["Kitchen", "Garden"], "sort": "price"}
    )
    assert _titles(page) == ["Red kettle", "Red garden hose"]
    assert "2 results for “red”" in page
    assert sorted(_checked(page, "category")) == ["Garden", "Kitchen"]
    # The fragment carries the sidebar too (the page's script swaps it with the results).
    fragment = _page({"q": "red", "mode": "lexical"}, **FETCH)
    assert 'id="facets"' in fragment and _counts(fragment, "category")


def test_a_chosen_value_that_matches_nothing_stays_ticked(shop: dict[str, Item]) -> None:
    page = _page({"q": "hose", "mode": "lexical", "category": "Kitchen", "attr.size": "XL"})
    assert "0 results for “hose”" in page
    assert _checked(page, "category") == ["Kitchen"] and _checked(page, "attr.size") == ["XL"]
    # The search could not run: the chosen filters are still in the form.
    response = Client().get("/", {"q": "red", "category": "Garden", "price_min": "9",
                                  "price_max": "1"})  # fmt: skip
    assert response.status_code == 400
    assert _checked(response.content.decode(), "category") == ["Garden"]


def test_without_javascript_price_ranges_and_clear_all_resolve_to_the_address(
    shop: dict[str, Item],
) -> None:
    client = Client()
    form = {"q": "red", "mode": "lexical", "category": "Kitchen", "price_range": "10:29.99",
            "attr.color": "red", "sort": "price"}  # fmt: skip
    response = client.post("/", form)
    assert response.status_code == 303
    assert response["Location"] == (
        "/?q=red&category=Kitchen&price_min=10&price_max=29.99&mode=lexical&sort=price"
        "&attr.color=red"
    )
    buckets = _counts(_page({"q": "red", "mode": "lexical"}), "price_range")
    assert sum(buckets.values()) == 3 and len(buckets) > 1
    for chosen, count in buckets.items():
        low, _, high = chosen.partition(":")
        page = _page({"q": "red", "mode": "lexical", "price_min": low, "price_max": high})
        assert _checked(page, "price_range") == [chosen] and len(_titles(page)) == count
    response = client.post("/", {**form, "clear": "filters"})
    assert response["Location"] == "/?q=red&mode=lexical&sort=price"
    page = _page({"q": "red", "mode": "lexical"})
    assert _checked(page, "price_range") == [""]  # any price


# The command line takes the same choices.


def test_cli_sorts_cuts_off_and_filters_by_attribute(shop: dict[str, Item]) -> None:
    out = StringIO()
    call_command("search", "red", "--mode", "lexical", "--sort", "price", "--cutoff", "off",
                 "--attr", "color=red", "--attr", "color=blue", stdout=out)  # fmt: skip
    summary, _header, *rows = out.getvalue().splitlines()
    assert "3 results" in summary and "sorted by price, cutoff none" in summary
    assert [row.split("  ")[-1].strip() for row in rows] == [
        "Red wool hat", "Red kettle", "Red garden hose"
    ]  # fmt: skip
    out = StringIO()
    call_command("search", "red", "--mode", "lexical", "--attr", "color=blue", stdout=out)
    assert "No results." in out.getvalue()
    with pytest.raises(CommandError, match="KEY=VALUE"):
        call_command("search", "red", "--attr", "color", stdout=out)
    with pytest.raises(CommandError, match="cutoff"):
        call_command("search", "red", "--cutoff", "most", stdout=out)


def test_curators_mark_facetable_attributes_in_the_admin(
    admin_user_client: tuple[Any, Client], shop: dict[str, Item]
) -> None:
    _user, client = admin_user_client
    response = client.post(
        "/admin/search/facetattribute/add/", {"key": "size", "label": "Size", "position": "2"}
    )
    assert response.status_code == 302
    assert list(FacetAttribute.objects.values_list("key", flat=True)) == ["color", "size"]
    page = client.get("/admin/search/facetattribute/").content.decode()
    assert "Colour" in page and "Size" in page
    assert _counts(_page(), "attr.size") == {}  # no item has a size: no facet
