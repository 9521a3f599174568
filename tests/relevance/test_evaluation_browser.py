"""The evaluation page in real headless Chromium (tests/browser drives it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from relevance.models import JudgedSet
from tests.browser.conftest import browser, screenshot, watched_page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:  # noqa: F811
    """A page of the admin; script errors fail the test (the admin has no favicon: its 404
    is not one)."""
    context, page, errors = watched_page(
        browser, base_url=live_server.url, viewport={"width": 1400, "height": 900}
    )
    # A request the browser itself cancels (an icon still loading when the page is closed or
    # left) is no failure of the page.
    page.on("requestfailed", lambda request: None if request.failure == "net::ERR_ABORTED"
            else errors.append(f"{request.url} {request.failure}"))  # fmt: skip
    yield page
    context.close()
    assert [e for e in errors if "status of 404" not in e] == []


def test_run_an_evaluation_and_see_the_tables(
    page: Any,
    demo_catalog: int,
    screenshot: Callable[[Any, str], Path],  # noqa: F811
) -> None:
    User.objects.create_superuser("judge", "", "judge-pass-123")
    demo = JudgedSet.objects.get(name="demo")
    page.goto("/admin/login/")
    page.fill("#id_username", "judge")
    page.fill("#id_password", "judge-pass-123")
    page.click("input[type=submit]")
    page.goto("/admin/relevance/judgedset/")
    page.click("text=Evaluate")
    assert page.url.endswith(f"/admin/relevance/judgedset/{demo.pk}/evaluate/")
    page.check("input[name=modes][value=lexical]")  # hybrid is ticked already
    page.check("input[name=compare]")
    page.click("#evaluation-form input[type=submit]")
    page.wait_for_selector("#summary")
    header = page.locator("#summary thead th").all_text_contents()
    assert header == [
        "configuration",
        "queries",
        "nDCG@10",
        "MRR@10",
        "hit@1",
        "hit@5",
        "recall@100",
    ]
    rows = page.locator("#summary tbody tr")
    assert rows.count() == 2
    labels = page.locator("#summary tbody tr td:first-child").all_text_contents()
    assert labels == ["hybrid", "lexical"]  # the order of the pickers
    kinds = set(page.locator("#per-kind tbody tr td:nth-child(2)").all_inner_texts())
    assert {"paraphrase", "exact_title", "identifier", "image"} <= kinds
    assert "improved" in page.locator("#comparison-counts").inner_text()
    exact = page.locator(".per-query tr", has_text="Oak Cutting Board").first
    assert "demo-board-oak: 1" in exact.inner_text()
    shot = screenshot(page, "relevance-evaluate")
    assert shot.stat().st_size > 10_000
