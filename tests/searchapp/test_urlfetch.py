"""The guarded URL fetcher (searchapp.urlfetch) against real HTTP(S) servers on loopback.

The server on 127.0.0.2 is the operator's allowed internal host; the one on 127.0.0.1 (same
port) stands for everything that must stay out of reach: a test that gets there fails.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from searchapp import urlfetch
from searchapp.urlfetch import UrlFetchError, fetch_url
from tests.conftest import make_image_bytes
from tests.http_servers import (
    LocalServer,
    redirect,
    respond,
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


def test_the_system_resolvers_failure_says_what_to_check() -> None:
    # .invalid never resolves (RFC 6761); the message is not the resolver's errno.
    with pytest.raises(UrlFetchError, match="check the host name in the URL") as exc:
        urlfetch.resolve_host("nowhere.invalid", 80)
    assert "Errno" not in str(exc.value)


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
