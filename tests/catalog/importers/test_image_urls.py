"""Image URLs in a catalog file are fetched through the guarded fetcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog.importers import catalog_import
from catalog.models import Item
from tests.catalog.importers.files import (
    BLUE,
    RED,
    stored_files,
    write_csv,
)
from tests.http_servers import LocalServer, redirect, respond

pytestmark = pytest.mark.django_db(transaction=True)


# --- image URLs -------------------------------------------------------------------------------


def test_import_fetches_image_urls_and_skips_rows_whose_url_is_refused_or_fails(
    tmp_path: Path,
    settings: Any,
    image_server: LocalServer,
    loopback_server: LocalServer,
    dns: dict[str, list[str]],
) -> None:
    """Through the guarded fetcher (tests/searchapp/test_urlfetch.py has every rule): the
    allowed internal host is fetched; loopback, private and metadata addresses, names that
    resolve to them and redirects to them fail their row, and nothing of the row is stored."""
    dns["cdn.internal"] = ["127.0.0.2"]
    dns["evil.example"] = ["10.0.0.8"]
    image_server.routes["/ok.jpg"] = respond(BLUE, content_type="image/jpeg")
    image_server.routes["/hop.png"] = redirect(loopback_server.url("/red.png"))
    image_server.routes["/page.png"] = respond(b"<html>not an image</html>")
    loopback_server.routes["/red.png"] = respond(RED)
    rows = [
        ["a", "From the web", "", "", "1", image_server.url("/ok.jpg", host="cdn.internal")],
        ["b", "Gone", "", "", "1", image_server.url("/gone.jpg")],
        ["c", "Loopback", "", "", "1", loopback_server.url("/red.png")],
        ["d", "Decimal", "", "", "1", loopback_server.url("/red.png", host="2130706433")],
        ["e", "Resolves", "", "", "1", "http://evil.example/red.png"],
        ["f", "Redirect", "", "", "1", image_server.url("/hop.png")],
        ["g", "Metadata", "", "", "1", "http://169.254.169.254/latest/meta-data/"],
        ["h", "Scheme", "", "", "1", "file:///etc/passwd"],
        ["i", "Html", "", "", "1", image_server.url("/page.png")],
    ]
    summary = catalog_import(path=write_csv(tmp_path / "c.csv", rows))
    assert summary.created == 1
    fetch_failed = "Could not fetch the image:"
    assert [(f.external_id, f.reason) for f in summary.failures] == [
        ("b", f"Image {rows[1][5]}: {fetch_failed} HTTP 404 Not Found."),
        ("c", f"Image {rows[2][5]}: {fetch_failed} 127.0.0.1 is a loopback address; "
              "only public addresses are fetched."),
        ("d", f"Image {rows[3][5]}: {fetch_failed} 2130706433 is 127.0.0.1, which is a "
              "loopback address; only public addresses are fetched."),
        ("e", f"Image {rows[4][5]}: {fetch_failed} evil.example resolves to 10.0.0.8, a "
              "private address; only public addresses are fetched."),
        ("f", f"Image {rows[5][5]}: {fetch_failed} 127.0.0.1 is a loopback address; "
              "only public addresses are fetched."),
        ("g", f"Image {rows[6][5]}: {fetch_failed} 169.254.169.254 is a link-local address; "
              "only public addresses are fetched."),
        ("h", f"Image {rows[7][5]}: {fetch_failed} only http and https URLs are fetched."),
        ("i", f"Image {rows[8][5]}: {fetch_failed} the content is not a JPEG, PNG, WebP or "
              "GIF image."),
    ]  # fmt: skip
    assert list(Item.objects.values_list("external_id", flat=True)) == ["a"]
    assert Item.objects.get().images.get().content_type == "image/jpeg"
    assert len(stored_files(settings)) == 1
    assert loopback_server.seen == []
