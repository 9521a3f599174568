"""Chromium calls the API with fetch from a page on a second origin (another port): search,
suggest and items answer when that origin is allowed, and the browser blocks them when not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from catalog.models import Item
from tests.browser.conftest import watch_policy_violations
from tests.frontend.storefront import storefront

pytestmark = pytest.mark.django_db(transaction=True)

CALLS = """async (api) => {
    const calls = {
        search: () => fetch(`${api}/api/v1/search/`, {method: "POST",
            headers: {"Content-Type": "application/json"}, body: JSON.stringify({text: "lamp"})}),
        search_get: () => fetch(`${api}/api/v1/search/?q=lamp`),
        suggest: () => fetch(`${api}/api/v1/suggest/?q=la`),
        items: () => fetch(`${api}/api/v1/items/`),
    };
    const answers = {};
    for (const [name, call] of Object.entries(calls)) {
        try {
            const response = await call();
            const body = await response.json();
            answers[name] = {status: response.status, keys: Object.keys(body).sort()};
        } catch (error) {
            answers[name] = {blocked: error.name};
        }
    }
    return answers;
}"""


@pytest.fixture
def shop_page(browser: Any, live_server: Any) -> Iterator[tuple[Any, str, list[str]]]:
    """A page on the storefront's origin, the origin, and the browser console's errors."""
    with storefront({"/": "<!doctype html><title>Shop</title><h1>Shop</h1>"}) as origin:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        violations = watch_policy_violations(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{origin}/")
        yield page, origin, errors
        context.close()
        assert violations == []


def test_an_allowed_origin_calls_search_suggest_and_items(
    shop_page: tuple[Any, str, list[str]], live_server: Any, demo_catalog: list[Item]
) -> None:
    page, origin, errors = shop_page
    with override_settings(CORS_ALLOWED_ORIGINS=[origin]):
        answers = page.evaluate(CALLS, live_server.url)
    assert answers["search"]["status"] == 200
    assert "results" in answers["search"]["keys"]
    assert answers["search_get"]["status"] == 200
    assert answers["suggest"] == {
        "status": 200,
        "keys": ["categories", "items", "queries", "query"],
    }
    assert answers["items"]["status"] == 200
    assert "results" in answers["items"]["keys"]
    assert errors == []


def test_an_origin_not_allowed_is_blocked_by_the_browser(
    shop_page: tuple[Any, str, list[str]], live_server: Any, demo_catalog: list[Item]
) -> None:
    page, origin, errors = shop_page
    with override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example.com"]):
        answers = page.evaluate(CALLS, live_server.url)
    assert answers == {name: {"blocked": "TypeError"} for name in answers}
    assert len(answers) == 4
    assert all("blocked by CORS policy" in error for error in errors if "Access to fetch" in error)
    assert sum("blocked by CORS policy" in error for error in errors) == 4


def test_any_origin_reads_anonymously_but_may_not_post(
    shop_page: tuple[Any, str, list[str]], live_server: Any, demo_catalog: list[Item]
) -> None:
    page, _, _ = shop_page
    with override_settings(CORS_ALLOWED_ORIGINS=[], SEARCHAPP_CORS_ANY_ORIGIN_READS=True):
        answers = page.evaluate(CALLS, live_server.url)
    assert answers["search"] == {"blocked": "TypeError"}
    assert {answers[name]["status"] for name in ("search_get", "suggest", "items")} == {200}
