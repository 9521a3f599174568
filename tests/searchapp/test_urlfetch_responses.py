"""The guarded URL fetcher (searchapp.urlfetch) once connected: redirects, what a response
may be, the size cap while streaming, one deadline for the whole fetch, and https pinned to
the checked address. Against real HTTP(S) servers on loopback (see test_urlfetch.py)."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from searchapp.urlfetch import UrlFetchError, fetch_url
from tests.http_servers import (
    LocalCA,
    LocalServer,
    Sent,
    drip_headers,
    one_byte_at_a_time,
    redirect,
    repeat,
    respond,
    stream,
)
from tests.searchapp.test_urlfetch import MB, RED, fetch

# --- redirects --------------------------------------------------------------------------------


def test_redirects_are_followed_and_each_target_checked(image_server: LocalServer) -> None:
    image_server.routes["/old"] = redirect("/new", status=301)
    image_server.routes["/new"] = redirect(image_server.url("/red.png"), status=307)
    image_server.routes["/red.png"] = respond(RED)
    assert fetch(image_server.url("/old")) == RED
    assert [seen.path for seen in image_server.seen] == ["/old", "/new", "/red.png"]
    assert image_server.seen[0].headers["accept"] == "*/*"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_a_refused_address_is_refused(
    status: int, image_server: LocalServer, loopback_server: LocalServer
) -> None:
    loopback_server.routes["/red.png"] = respond(RED)
    image_server.routes["/hop"] = redirect(loopback_server.url("/red.png"), status=status)
    with pytest.raises(UrlFetchError, match="127.0.0.1 is a loopback address"):
        fetch(image_server.url("/hop"))
    assert [seen.path for seen in image_server.seen] == ["/hop"]
    assert loopback_server.seen == []


@pytest.mark.parametrize(
    "location,reason",
    [
        ("http://localhost:{port}/red.png", "names this machine"),
        ("http://2130706433:{port}/red.png", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/red.png", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://metadata.example/computeMetadata/v1/", "resolves to 169.254.169.254"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://127.0.0.1:6379/_INFO", "only http and https"),
        ("http://user:pw@127.0.0.2:{port}/red.png", "user name or password"),
        ("http://[::1", "(Invalid URL in location header|not a valid URL)"),
    ],
)
def test_every_redirect_target_goes_through_the_same_checks(
    location: str,
    reason: str,
    image_server: LocalServer,
    loopback_server: LocalServer,
    dns: dict[str, list[str]],
) -> None:
    dns["metadata.example"] = ["169.254.169.254"]
    loopback_server.routes["/red.png"] = respond(RED)
    image_server.routes["/red.png"] = respond(RED)
    image_server.routes["/hop"] = redirect(location.format(port=image_server.port))
    with pytest.raises(UrlFetchError, match=reason):
        fetch(image_server.url("/hop"))
    assert [seen.path for seen in image_server.seen] == ["/hop"]
    assert loopback_server.seen == []


def test_a_redirect_loop_ends(image_server: LocalServer) -> None:
    image_server.routes["/a"] = redirect("/b")
    image_server.routes["/b"] = redirect("/a")
    with pytest.raises(UrlFetchError, match="more than 3 redirects"):
        fetch(image_server.url("/a"))
    assert [seen.path for seen in image_server.seen] == ["/a", "/b", "/a", "/b"]


# --- what comes back --------------------------------------------------------------------------


def test_only_200_is_a_body(image_server: LocalServer) -> None:
    image_server.routes["/gone"] = respond(b"", status=404, content_type=None)
    image_server.routes["/moved"] = respond(b"", status=302, content_type=None)  # no Location
    with pytest.raises(UrlFetchError, match=r"^HTTP 404 Not Found\.$"):
        fetch(image_server.url("/gone"))
    with pytest.raises(UrlFetchError, match=r"^HTTP 302 Found\.$"):
        fetch(image_server.url("/moved"))


def test_a_compressed_body_is_refused(image_server: LocalServer) -> None:
    image_server.routes["/red.png"] = respond(
        gzip.compress(RED), headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(UrlFetchError, match="gzip-encoded"):
        fetch(image_server.url("/red.png"))


def test_a_closed_port_is_a_failed_request(image_server: LocalServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UrlFetchError, match="the request failed"):
        fetch(f"http://127.0.0.2:{port}/red.png")


def test_inspect_sees_the_content_type_and_first_bytes_before_the_rest(
    image_server: LocalServer,
) -> None:
    sent = Sent()
    image_server.routes["/big"] = stream(
        repeat(b"\x89PNG\r\n\x1a\n" + b"x" * 65528, 64 * MB), sent, content_type="Image/PNG; q=1"
    )
    seen: list[tuple[str, bytes]] = []

    def refuse(content_type: str, head: bytes) -> None:
        seen.append((content_type, head))
        raise UrlFetchError("not wanted")

    with pytest.raises(UrlFetchError, match="not wanted"):
        fetch_url(image_server.url("/big"), max_bytes=100 * MB, inspect=refuse)
    assert seen == [("image/png", b"\x89PNG\r\n\x1a\n" + b"x" * 8)]
    assert not sent.finished


# --- size cap while streaming ------------------------------------------------------------------


def test_a_body_without_content_length_is_cut_off_past_the_cap(image_server: LocalServer) -> None:
    sent = Sent()
    image_server.routes["/endless"] = stream(repeat(b"x" * 65536, 64 * MB), sent)
    with pytest.raises(UrlFetchError, match="larger than the limit of 100,000 bytes"):
        fetch(image_server.url("/endless"), max_bytes=100_000)
    assert not sent.finished  # the fetcher hung up; the server could not send it all


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    image_server: LocalServer,
) -> None:
    image_server.routes["/big"] = respond(b"x" * 5000)
    with pytest.raises(UrlFetchError, match="larger than the limit of 1,000 bytes"):
        fetch(image_server.url("/big"), max_bytes=1000)


def test_a_lying_content_length_gets_no_more_than_it_declared(image_server: LocalServer) -> None:
    """It says 500 bytes and sends 64 MB: 500 bytes are read, the rest is never taken."""
    sent = Sent()
    image_server.routes["/liar"] = stream(repeat(b"y" * 65536, 64 * MB), sent, content_length=500)
    assert fetch(image_server.url("/liar"), max_bytes=1000) == b"y" * 500
    assert not sent.finished


def test_a_body_just_at_the_cap_is_accepted(image_server: LocalServer) -> None:
    sent = Sent()
    image_server.routes["/exact"] = stream(repeat(b"z" * 100, 1000), sent)
    assert fetch(image_server.url("/exact"), max_bytes=1000) == b"z" * 1000


# --- one deadline for the whole fetch -----------------------------------------------------------


def test_a_dripping_body_is_cut_off_at_the_deadline(
    image_server: LocalServer, settings: Any
) -> None:
    """One byte every 50 ms would finish in about 4 s and each read is quick, so only a
    deadline for the whole fetch (1 s here) stops it."""
    settings.SEARCHAPP_URL_FETCH_TIMEOUT = 1
    sent = Sent()
    image_server.routes["/drip"] = stream(one_byte_at_a_time(RED[:80]), sent, delay=0.05)
    with pytest.raises(UrlFetchError, match="it took longer than the 1-second limit"):
        fetch(image_server.url("/drip"))
    assert not sent.finished


def test_dripping_headers_are_cut_off_at_the_deadline(
    image_server: LocalServer, settings: Any
) -> None:
    settings.SEARCHAPP_URL_FETCH_TIMEOUT = 1
    sent = Sent()
    image_server.routes["/drip"] = drip_headers(RED, sent, delay=0.05)
    with pytest.raises(UrlFetchError, match="it took longer than the 1-second limit"):
        fetch(image_server.url("/drip"))
    assert not sent.finished


def test_the_deadline_spans_every_redirect(image_server: LocalServer, settings: Any) -> None:
    """Each hop answers in 0.4 s, well within the limit on its own; four of them are not."""
    settings.SEARCHAPP_URL_FETCH_TIMEOUT = 1
    image_server.routes["/1"] = redirect("/2", delay=0.4)
    image_server.routes["/2"] = redirect("/3", delay=0.4)
    image_server.routes["/3"] = redirect("/red.png", delay=0.4)
    image_server.routes["/red.png"] = respond(RED)
    with pytest.raises(UrlFetchError, match="it took longer than the 1-second limit"):
        fetch(image_server.url("/1"))
    assert "/red.png" not in [seen.path for seen in image_server.seen]


# --- https: pinned, with SNI and the certificate checked against the name ----------------------


@pytest.fixture
def tls_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalCA:
    """A CA trusted through SSL_CERT_FILE, as an operator with an internal CA would set it."""
    ca = LocalCA(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.bundle))
    return ca


@pytest.fixture
def https_server(
    tls_ca: LocalCA, url_servers: Any, dns: dict[str, list[str]]
) -> Iterator[Callable[[str], LocalServer]]:
    """Starts an https server on 127.0.0.2 (allowed) with a certificate for the name given;
    the fetcher resolves images.internal to it."""
    dns["images.internal"] = ["127.0.0.2"]
    servers: list[LocalServer] = []

    def start(certificate_for: str) -> LocalServer:
        server = LocalServer("127.0.0.2", tls=tls_ca.server_context(certificate_for))
        server.routes["/red.png"] = respond(RED)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def https_url(server: LocalServer) -> str:
    return server.url("/red.png", host="images.internal", scheme="https")


def test_https_connects_to_the_pinned_address_with_sni_and_host_of_the_name(
    https_server: Callable[[str], LocalServer],
) -> None:
    server = https_server("images.internal")
    assert fetch(https_url(server)) == RED
    assert [(seen.sni, seen.headers["host"]) for seen in server.seen] == [
        ("images.internal", f"images.internal:{server.port}")
    ]


def test_https_checks_the_certificate_against_the_name(
    https_server: Callable[[str], LocalServer],
) -> None:
    server = https_server("someone-else.internal")
    with pytest.raises(UrlFetchError, match="the request failed.*(certificate|hostname)"):
        fetch(https_url(server))
    assert server.seen == []


def test_https_trusts_only_known_authorities(
    https_server: Callable[[str], LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")  # back to certifi's bundle, which lacks the test CA
    server = https_server("images.internal")
    with pytest.raises(
        UrlFetchError, match="certificate is not valid for its name or not from a known authority"
    ):
        fetch(https_url(server))
    assert server.seen == []
