"""Real headless Chromium (Playwright for Python) against pytest-django's live server.

Skipped with a reason when /usr/bin/chromium or playwright is missing. Playwright's sync
API keeps an asyncio loop running on this thread while a browser is open, which Django
would take for an async context: the browser lives for one test module at a time and
DJANGO_ALLOW_ASYNC_UNSAFE is set only meanwhile."""

from __future__ import annotations

import functools
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from catalog.demo import demo_items
from catalog.models import Item
from catalog.services import item_create
from searchapp.images import image_from_bytes

CHROMIUM = Path(os.environ.get("SEARCHAPP_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS_DIR = Path("/tmp/searchapp-screens")  # noqa: S108 - for people to look at


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs playwright (pip install playwright)"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(15_000)
    violations = watch_policy_violations(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    yield page
    context.close()
    # 400 responses are expected (the error state); script errors are not.
    assert [e for e in errors if "status of 400" not in e] == []
    assert violations == []


def watched_page(browser: Any, **context_options: Any) -> tuple[Any, Any, list[str]]:
    """A new context (15 s timeouts) and page whose script errors and console errors are
    collected: (context, page, errors)."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return context, page, errors


def watch_policy_violations(context: Any) -> list[str]:
    """The Content-Security-Policy violations of every page of a browser context, as
    "directive blocked-URI" lines (the page's `securitypolicyviolation` events; Chromium also
    logs each one as a console error)."""
    violations: list[str] = []
    context.expose_function("reportPolicyViolation", lambda line: violations.append(line))
    context.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) =>
            window.reportPolicyViolation(`${event.effectiveDirective} ${event.blockedURI}`));"""
    )
    return violations


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under the test's tmp_path and copy it to SCREENS_DIR."""

    def take(page: Any, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        # Lazy images below the fold would be blank in a full-page picture.
        page.evaluate(
            "document.querySelectorAll('img[loading=lazy]').forEach((img) => img.loading = 'eager')"
        )
        # Polled from here: wait_for_function would eval() in the page, which the CSP refuses.
        deadline = time.monotonic() + 15
        while not page.evaluate("[...document.images].every((img) => img.complete)"):
            assert time.monotonic() < deadline, "images still loading after 15 s"
            page.wait_for_timeout(50)
        page.screenshot(path=path, full_page=True)
        SCREENS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENS_DIR / path.name)
        return path

    return take


@functools.cache
def demo_pictures() -> dict[str, bytes]:
    return {demo.external_id: demo.picture() for demo in demo_items()}


@pytest.fixture
def demo_catalog(tiny_providers: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[Item]:
    """The demo catalog, embedded in-process into a tiny CLIP space and a tiny text space."""
    from embeddings import queue as embedding_queue
    from embeddings import spaces as embedding_spaces

    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)
    pictures = demo_pictures()
    images = {key: [image_from_bytes(picture)] for key, picture in pictures.items()}
    items = [
        item_create(external_id=demo.external_id, images=images[demo.external_id], **demo.fields())
        for demo in demo_items()
    ]
    for name, alias in (("clip", "tiny-clip"), ("minilm", "tiny-minilm")):
        space = embedding_spaces.space_create(name=name, provider_alias=alias, activate=True)
        embedding_queue.space_embed_pending(space=space)
    return items


@pytest.fixture
def admin_page(browser: Any, live_server: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page logged in to the admin as a superuser, and the policy violations of its
    context. The admin has no favicon: its 404 is no error."""
    User.objects.create_superuser("policy", "", "policy-pass-123")
    context, page, errors = watched_page(
        browser, base_url=live_server.url, viewport={"width": 1400, "height": 900}
    )
    violations = watch_policy_violations(context)
    page.goto("/admin/login/")
    page.fill("#id_username", "policy")
    page.fill("#id_password", "policy-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    yield page, violations
    context.close()
    assert [e for e in errors if "status of 404" not in e] == []
