"""Refusals that depend on the network say what the client can do, never the socket's or
the TLS library's words (`[Errno 111] Connection refused`)."""

from __future__ import annotations

import socket

import pytest
from rest_framework.test import APIClient

from catalog.models import Item
from tests.http_servers import LocalServer, respond
from tests.security.corpus import ITEMS, SEARCH, assert_refused

pytestmark = pytest.mark.django_db


def closed_port_url() -> str:
    """An address on the allowed internal network where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.2:{port}/photo.png"


def test_an_image_url_where_nothing_listens(
    image_server: LocalServer, existing_item: Item, curator_client: APIClient
) -> None:
    response = curator_client.post(
        f"{ITEMS}{existing_item.pk}/images/", {"image": closed_port_url()}, format="json"
    )
    body = assert_refused(response, 400, "image")
    assert "nothing answers at that address and port" in body["detail"]


def test_a_search_image_url_where_nothing_listens(
    image_server: LocalServer, existing_item: Item, anon_client: APIClient
) -> None:
    response = anon_client.post(SEARCH, {"image": closed_port_url()}, format="json")
    body = assert_refused(response, 400, "image")
    assert "nothing answers" in body["detail"]


def test_an_image_url_that_breaks_off(
    image_server: LocalServer, existing_item: Item, curator_client: APIClient
) -> None:
    image_server.routes["/cut.png"] = respond(b"\x89PNG\r\n\x1a\n", content_length=9000)
    response = curator_client.post(
        f"{ITEMS}{existing_item.pk}/images/", {"image": image_server.url("/cut.png")}, format="json"
    )
    body = assert_refused(response, 400, "image")
    assert "broke off before a complete answer" in body["detail"]
