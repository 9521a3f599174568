"""The guarded URL fetcher (searchapp.urlfetch) against real HTTP(S) servers on loopback.

The server on 127.0.0.2 is the operator's allowed internal host; the one on 127.0.0.1 (same
port) stands for everything that must stay out of reach: a test that gets there fails.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from searchapp import urlfetch
from searchapp.urlfetch import UrlFetchError, fetch_url
from tests.conftest import make_image_bytes
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

RED = make_image_bytes("PNG", color=(200, 30, 30))
MB = 1024 * 1024


def fetch(url: str, max_bytes: int = 20 * MB) -> bytes:
    return fetch_url(url, max_bytes=max_bytes)


# --- refused before any connection -----------------------------------------------------------

REFUSED_URLS = [
    # loopback, in every spelling the OS accepts
    ("http://127.0.0.1/a.png", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1./a.png", "127.0.0.1. is 127.0.0.1, which is a loopback address"),
    ("http://127.1/a.png", "127.1 is 127.0.0.1, which is a loopback address"),
    ("http://2130706433/a.png", "2130706433 is 127.0.0.1, which is a loopback address"),
    ("http://0x7f000001/a.png", "0x7f000001 is 127.0.0.1, which is a loopback address"),
    ("http://0x7f.1/a.png", "0x7f.1 is 127.0.0.1, which is a loopback address"),
    ("http://0177.1/a.png", "0177.1 is 127.0.0.1, which is a loopback address"),
    ("http://0177.0.0.1/a.png", "not a valid URL|loopback"),  # httpx itself refuses this one
    ("http://127.255.255.254/a.png", "loopback"),
    ("http://[::1]/a.png", "::1 is a loopback address"),
    ("http://[0:0:0:0:0:0:0:1]/a.png", "loopback"),
    ("http://[::ffff:127.0.0.1]/a.png", "is 127.0.0.1, which is a loopback address"),
    ("http://[::ffff:7f00:1]/a.png", "is 127.0.0.1, which is a loopback address"),
    ("http://localhost/a.png", "localhost names this machine"),
    ("http://LOCALHOST./a.png", "localhost. names this machine"),
    ("http://foo.localhost/a.png", "foo.localhost names this machine"),
    ("http://localhost:8000/a.png", "names this machine"),
    # unspecified and broadcast
    ("http://0.0.0.0/a.png", "0.0.0.0 is an unspecified address"),
    ("http://0/a.png", "0 is 0.0.0.0, which is an unspecified address"),
    ("http://[::]/a.png", ":: is an unspecified address"),
    ("http://255.255.255.255/a.png", "broadcast"),
    # private
    ("http://10.1.2.3/a.png", "10.1.2.3 is a private address"),
    ("http://167772161/a.png", "is 10.0.0.1, which is a private address"),
    ("http://172.16.0.1/a.png", "private"),
    ("http://172.31.255.255/a.png", "private"),
    ("http://192.168.1.1/a.png", "private"),
    ("http://[fc00::1]/a.png", "private"),
    ("http://[fd12:3456::1]/a.png", "private"),
    ("http://[::ffff:10.0.0.1]/a.png", "is 10.0.0.1, which is a private address"),
    ("http://[::ffff:192.168.0.1]/a.png", "private"),
    # link-local (cloud metadata), shared, multicast, site-local, reserved
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://[fe80::1]/a.png", "link-local"),
    ("http://[fe80::1%25eth0]/a.png", "link-local"),
    ("http://100.64.0.1/a.png", "shared (carrier-grade NAT)"),
    ("http://224.0.0.1/a.png", "multicast"),
    ("http://239.255.255.250/a.png", "multicast"),
    ("http://[ff02::1]/a.png", "multicast"),
    ("http://[fec0::1]/a.png", "site-local"),
    ("http://240.0.0.1/a.png", "reserved"),
    ("http://[::127.0.0.1]/a.png", "reserved"),  # IPv4-compatible IPv6
    ("http://[64:ff9b::7f00:1]/a.png", "reserved"),  # NAT64 of 127.0.0.1
    ("http://[64:ff9b::808:808]/a.png", "reserved"),  # NAT64, even of a public address
    ("http://[2002:7f00:1::]/a.png", "loopback (it carries 127.0.0.1)"),  # 6to4
    ("http://[2002:a00:1::]/a.png", "private (it carries 10.0.0.1)"),
    ("http://[2001:db8::1]/a.png", "private"),  # documentation
    # user info tricks
    ("http://user:pass@example.com@127.0.0.1/a.png", "user name or password"),
    ("http://example.com\\@127.0.0.1/a.png", "user name or password"),
    ("http://user@example.com/a.png", "user name or password"),
    # schemes
    ("ftp://example.com/a.png", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://127.0.0.1:6379/_INFO", "only http and https"),
    ("dict://127.0.0.1:11211/stats", "only http and https"),
    ("data:image/png;base64,iVBORw0KGgo=", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("//example.com/a.png", "only http and https"),
    ("a.png", "only http and https"),
    # no host
    ("http:///a.png", "no host"),
    ("http://:80/a.png", "no host"),
]


@pytest.mark.parametrize("url,reason", REFUSED_URLS, ids=[url for url, _ in REFUSED_URLS])
def test_refused_urls(url: str, reason: str, dns: dict[str, list[str]]) -> None:
    dns["example.com"] = ["93.184.215.14"]  # a public address: only the trick is refused
    with pytest.raises(UrlFetchError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        fetch(url)


def test_refused_loopback_spellings_never_reach_the_server(
    loopback_server: LocalServer, image_server: LocalServer
) -> None:
    loopback_server.routes["/red.png"] = respond(RED)
    for host in ["127.0.0.1", "127.1", "2130706433", "0x7f.1", "0177.1", "[::ffff:127.0.0.1]"]:
        with pytest.raises(UrlFetchError, match="loopback"):
            fetch(loopback_server.url("/red.png", host=host))
    with pytest.raises(UrlFetchError, match="names this machine"):
        fetch(loopback_server.url("/red.png", host="localhost"))
    assert loopback_server.seen == []


# --- names, resolved once ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "addresses,reason",
    [
        (["127.0.0.1"], "resolves to 127.0.0.1, a loopback address"),
        (["10.0.0.1"], "resolves to 10.0.0.1, a private address"),
        (["172.20.1.1"], "private"),
        (["192.168.0.10"], "private"),
        (["169.254.169.254"], "link-local"),
        (["100.64.1.1"], "shared"),
        (["0.0.0.0"], "unspecified"),  # noqa: S104 (an address to refuse, not to bind)
        (["224.0.0.251"], "multicast"),
        (["::1"], "resolves to ::1, a loopback address"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["fd00::5"], "private"),
        (["fe80::1"], "link-local"),
        (["93.184.215.14", "10.0.0.1"], "resolves to 10.0.0.1"),  # any one is enough
        (["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::1"], "resolves to ::1"),
    ],
)
def test_names_resolving_to_refused_addresses_are_refused(
    addresses: list[str], reason: str, dns: dict[str, list[str]]
) -> None:
    dns["images.example"] = addresses
    with pytest.raises(UrlFetchError, match=reason):
        fetch("http://images.example/a.png")


def test_a_name_is_resolved_with_the_url_port(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[urlfetch.IPAddress]:
        asked.append((host, port))
        return [ipaddress.ip_address("10.9.8.7")]

    monkeypatch.setattr(urlfetch, "resolve_host", resolve)
    for url in ["http://a.example/x", "https://b.example/x", "http://c.example:8080/x"]:
        with pytest.raises(UrlFetchError, match="private"):
            fetch(url)
    assert asked == [("a.example", 80), ("b.example", 443), ("c.example", 8080)]


def test_the_system_resolver_reads_every_address() -> None:
    assert urlfetch.resolve_host("127.0.0.2", 80) == [ipaddress.ip_address("127.0.0.2")]
    assert urlfetch.resolve_host("::1", 80) == [ipaddress.ip_address("::1")]


def test_an_unresolvable_name_is_reported(dns: dict[str, list[str]]) -> None:
    with pytest.raises(UrlFetchError, match="the name nowhere.example cannot be resolved"):
        fetch("http://nowhere.example/a.png")


# --- the allowed internal host ----------------------------------------------------------------


def test_the_allowed_network_is_fetched_and_nothing_else(
    image_server: LocalServer, loopback_server: LocalServer, settings: Any
) -> None:
    image_server.routes["/red.png"] = respond(RED)
    loopback_server.routes["/red.png"] = respond(RED)
    assert fetch(image_server.url("/red.png")) == RED
    assert image_server.seen[0].headers["host"] == f"127.0.0.2:{image_server.port}"
    assert image_server.seen[0].headers["accept-encoding"] == "identity"
    with pytest.raises(UrlFetchError, match="loopback"):
        fetch(loopback_server.url("/red.png"))
    settings.SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS = []
    with pytest.raises(UrlFetchError, match="127.0.0.2 is a loopback address"):
        fetch(image_server.url("/red.png"))
    assert len(image_server.seen) == 1 and loopback_server.seen == []


def test_a_name_on_the_allowed_network_keeps_its_host_header(
    image_server: LocalServer, dns: dict[str, list[str]]
) -> None:
    dns["images.internal"] = ["127.0.0.2"]
    image_server.routes["/red.png"] = respond(RED)
    assert fetch(image_server.url("/red.png", host="images.internal")) == RED
    assert image_server.seen[0].headers["host"] == f"images.internal:{image_server.port}"


def test_a_name_with_one_allowed_and_one_refused_address_is_refused(
    image_server: LocalServer, dns: dict[str, list[str]]
) -> None:
    dns["images.internal"] = ["127.0.0.2", "127.0.0.1"]
    image_server.routes["/red.png"] = respond(RED)
    with pytest.raises(UrlFetchError, match="resolves to 127.0.0.1, a loopback address"):
        fetch(image_server.url("/red.png", host="images.internal"))
    assert image_server.seen == []


def test_proxies_from_the_environment_are_not_used(
    image_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"]:
        monkeypatch.setenv(name, "http://10.0.0.1:3128")
    image_server.routes["/red.png"] = respond(RED)
    assert fetch(image_server.url("/red.png")) == RED


# --- pinning: DNS rebinding cannot move the connection ------------------------------------------


def test_the_connection_goes_to_the_checked_address_whatever_dns_says_later(
    image_server: LocalServer, loopback_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system resolver itself is replaced: "rebind.example" is 127.0.0.2 (allowed) the
    first time and 127.0.0.1 from then on. A client that resolved the name again to connect
    would reach the 127.0.0.1 server; the pinned connection reaches 127.0.0.2."""
    real_getaddrinfo = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        answers.append("127.0.0.2" if not answers else "127.0.0.1")
        return real_getaddrinfo(answers[-1], port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    for server in (image_server, loopback_server):
        server.routes["/red.png"] = respond(RED)
        server.routes["/hop"] = redirect("/red.png")

    assert fetch(image_server.url("/red.png", host="rebind.example")) == RED
    assert [seen.path for seen in image_server.seen] == ["/red.png"]
    assert loopback_server.seen == []

    # A redirect to the same name is resolved again, and refused now that it is 127.0.0.1.
    with pytest.raises(UrlFetchError, match="resolves to 127.0.0.1, a loopback address"):
        fetch(image_server.url("/hop", host="rebind.example"))
    assert loopback_server.seen == []


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
    with pytest.raises(UrlFetchError, match="certificate verify failed"):
        fetch(https_url(server))
    assert server.seen == []
