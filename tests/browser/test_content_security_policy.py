"""Every HTML page works in Chromium under the site's Content-Security-Policy: the search
and item pages (tests/browser/test_search_ui.py also fails on any violation), the admin
with item pictures, and the Swagger UI of the API docs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.models import Item

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

Shoot = Callable[[Any, str], Path]


def _policy(response: Any) -> str:
    policy: str = response.headers["content-security-policy"]
    return policy


def test_the_search_page_refuses_an_injected_script(
    browser: Any, live_server: Any, demo_catalog: list[Item]
) -> None:
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        policy = _policy(page.goto("/"))
        assert "default-src 'self'" in policy and "script-src" not in policy
        assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        blocked = page.evaluate(
            """() => new Promise((resolve) => {
                document.addEventListener("securitypolicyviolation",
                    (event) => resolve(event.effectiveDirective), { once: true });
                const script = document.createElement("script");
                script.textContent = "window.injected = true";
                document.body.append(script);
            })"""
        )
        assert blocked == "script-src-elem"
        assert page.evaluate("window.injected") is None
    finally:
        context.close()


def test_the_admin_works_under_the_policy(
    admin_page: tuple[Any, list[str]], demo_catalog: list[Item], screenshot: Shoot
) -> None:
    page, violations = admin_page
    assert "default-src 'self'" in _policy(page.goto("/admin/catalog/item/"))
    assert page.locator("#result_list img").first.evaluate("img => img.naturalWidth") > 0
    # The changelist's select-all box runs on the admin's own scripts.
    page.check("#action-toggle")
    assert page.locator("input.action-select:checked").count() > 0
    screenshot(page, "admin-items")
    item = demo_catalog[0]
    page.goto(f"/admin/catalog/item/{item.pk}/change/")
    assert page.locator("#id_title").input_value() == item.title
    page.goto("/admin/catalog/item/add/")
    page.locator("#id_title").wait_for()
    screenshot(page, "admin-item-add")
    assert violations == []


def test_the_api_docs_work_under_the_policy(
    admin_page: tuple[Any, list[str]], screenshot: Shoot
) -> None:
    page, violations = admin_page
    policy = _policy(page.goto("/api/v1/docs/"))
    assert "default-src 'self'" in policy
    page.locator(".opblock-tag", has_text="search").first.wait_for()
    assert page.locator(".opblock").count() > 5  # Swagger UI rendered the schema
    # Try an operation: Swagger UI calls the API from the page.
    page.click("#operations-health-health_retrieve .opblock-summary")
    page.click("#operations-health-health_retrieve .try-out__btn")
    page.click("#operations-health-health_retrieve .execute")
    page.locator(
        "#operations-health-health_retrieve .live-responses-table .response-col_status",
        has_text="200",
    ).wait_for()
    screenshot(page, "api-docs")
    assert violations == []
