"""Fetching a URL that someone else chose (an image URL in an import file, an API request or
a search query) without letting it reach into our own network (server-side request forgery).

Each rule answers a known trick:

- Only http and https; no user name or password in the URL (`http://a@b@127.0.0.1/`); a host.
- The host is read as the operating system reads it: `2130706433`, `0177.1`, `0x7f.1` and
  `127.1` are all 127.0.0.1 (inet_aton), `[::ffff:127.0.0.1]` is the IPv4 address inside,
  `localhost` and every name under it are this machine, a trailing dot changes nothing.
- A name is resolved once (`resolve_host`) and refused when ANY of its addresses is not
  public: loopback, private, link-local (cloud metadata at 169.254.169.254), multicast,
  broadcast, unspecified, reserved (NAT64 64:ff9b::/96 among them), shared (100.64/10),
  site-local, or an IPv6 address carrying such an IPv4 address (IPv4-mapped, 6to4).
  An operator may open chosen networks with SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS (an
  internal image host); nothing else is opened by it.
- The connection goes to the address that was checked (pinned), never to what the name
  resolves to a moment later (DNS rebinding); the Host header, TLS SNI and the certificate
  check still use the name. Proxies from the environment are not used.
- Redirects are followed here, at most MAX_REDIRECTS, each target checked and pinned alike.
- One deadline, SEARCHAPP_URL_FETCH_TIMEOUT, covers the whole fetch with its redirects:
  every connect, TLS handshake, read and write gets only the time left, so a server that
  drips a byte a second is cut off at the deadline, not kept alive one read at a time.
  (Name resolution itself is bounded by the system resolver's own timeout.)
- The body is streamed and abandoned one chunk past `max_bytes`; a larger Content-Length is
  refused before reading; compressed bodies are refused (decompression would multiply the
  bytes past the cap). `inspect(content_type, head)` lets the caller refuse on the content
  type and the first HEAD_BYTES bytes before the rest is read.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

import httpcore
import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = IPv4Address | IPv6Address
Inspect = Callable[[str, bytes], None]

URL_SCHEMES = frozenset({"http", "https"})
MAX_REDIRECTS = 3
CONNECT_TIMEOUT = 5.0  # seconds for one TCP connect, within the overall deadline
HEAD_BYTES = 16  # what `inspect` sees of the body before the rest is read
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_BROADCAST = IPv4Address("255.255.255.255")


class UrlFetchError(Exception):
    """A URL was refused or could not be fetched; the message says why, for a person."""


@dataclass(frozen=True)
class _Target:
    """A URL that passed every check, and the one address it will be fetched from."""

    url: httpx.URL
    host: str  # as httpcore sees it (ASCII, IDNA-encoded; an IPv6 literal without brackets)
    address: IPAddress


# --- checking -----------------------------------------------------------------------------


def check_url(url: str | httpx.URL) -> httpx.URL:
    """What can be refused without the network: scheme, user info, the host's spelling.

    Raises UrlFetchError; returns the parsed URL.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UrlFetchError(f"not a valid URL ({exc}).") from exc
    if parsed.scheme not in URL_SCHEMES:
        raise UrlFetchError("only http and https URLs are fetched.")
    if parsed.userinfo:
        raise UrlFetchError("URLs with a user name or password are not fetched.")
    host = _host(parsed)
    if not host.rstrip("."):
        raise UrlFetchError("the URL has no host.")
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise UrlFetchError(f"{host} names this machine; only public hosts are fetched.")
    address = literal_address(host)
    if address is not None:
        _check_address(address, host=host)
    return parsed


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as a number stands for, read as the OS reads it.

    IPv6 literals (without brackets), dotted quads, and the legacy IPv4 spellings inet_aton
    accepts: `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`. A trailing dot is ignored.
    """
    text = host.rstrip(".")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    try:
        return IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (the system resolver). Tests replace this."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UrlFetchError(
            f"the name {host} cannot be resolved; check the host name in the URL."
        ) from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def address_refusal(address: IPAddress) -> str | None:
    """Why `address` may not be fetched from (e.g. "loopback"), or None when it may.

    Public addresses may, and so may those in SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS.
    """
    address = _unmapped(address)
    if any(address in network for network in _allowed_networks()):
        return None
    kind = _non_public_kind(address)
    if kind is None and isinstance(address, IPv6Address) and address.sixtofour is not None:
        # 6to4 (2002::/16) carries an IPv4 address; Python before 3.12.4 calls them global.
        embedded = _non_public_kind(address.sixtofour)
        if embedded is not None:
            kind = f"{embedded} (it carries {address.sixtofour})"
    return kind


def _unmapped(address: IPAddress) -> IPAddress:
    """::ffff:127.0.0.1 is 127.0.0.1."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _non_public_kind(address: IPAddress) -> str | None:
    checks: list[tuple[str, bool]] = [
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("broadcast", address == _BROADCAST),
        ("shared (carrier-grade NAT)", address in _SHARED),
        ("site-local", isinstance(address, IPv6Address) and address.is_site_local),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    ]
    return next((kind for kind, applies in checks if applies), None)


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(network, strict=False)
        for network in settings.SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS
    ]


def _check_address(address: IPAddress, *, host: str) -> None:
    kind = address_refusal(address)
    if kind is None:
        return
    address = _unmapped(address)
    where = host if host == str(address) else f"{host} is {address}, which"
    raise UrlFetchError(f"{where} is {_an(kind)} address; only public addresses are fetched.")


def _an(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _host(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii")


def _pin(url: httpx.URL) -> _Target:
    """Check every address of a checked URL's host; choose the one to connect to."""
    host = _host(url)
    literal = literal_address(host)
    if literal is not None:
        return _Target(url=url, host=host, address=literal)
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = resolve_host(host, port)
    if not addresses:
        raise UrlFetchError(f"the name {host} resolves to no address.")
    for address in addresses:
        kind = address_refusal(address)
        if kind is not None:
            raise UrlFetchError(
                f"{host} resolves to {address}, {_an(kind)} address; "
                "only public addresses are fetched."
            )
    return _Target(url=url, host=host, address=addresses[0])


# --- fetching -----------------------------------------------------------------------------


def fetch_url(
    url: str, *, max_bytes: int, accept: str = "*/*", inspect: Inspect | None = None
) -> bytes:
    """GET `url` under every rule above and return the body; raises UrlFetchError saying
    why not. `inspect(content_type, head)` gets the media type (lower case, no parameters)
    and the first HEAD_BYTES bytes, and raises UrlFetchError to refuse the rest."""
    try:
        return _fetch(url, max_bytes=max_bytes, accept=accept, inspect=inspect)
    except UrlFetchError as exc:
        logger.info("not fetched: %s: %s", url[:500], exc)
        raise


def _fetch(url: str, *, max_bytes: int, accept: str, inspect: Inspect | None) -> bytes:
    limit = settings.SEARCHAPP_URL_FETCH_TIMEOUT
    deadline = time.monotonic() + limit
    current = check_url(url)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            target = _pin(current)
            with (
                httpx.Client(
                    transport=_PinnedTransport(_PinnedBackend(target, deadline)),
                    trust_env=False,
                    follow_redirects=False,
                    timeout=httpx.Timeout(None, connect=CONNECT_TIMEOUT),
                ) as client,
                client.stream(
                    "GET", target.url, headers={"Accept": accept, "Accept-Encoding": "identity"}
                ) as response,
            ):
                if response.has_redirect_location:
                    current = check_url(_redirect_target(target.url, response))
                    continue
                return _read(response, max_bytes=max_bytes, inspect=inspect)
        raise UrlFetchError(f"more than {MAX_REDIRECTS} redirects.")
    except httpx.TimeoutException as exc:
        # Reads and writes wait only until the deadline; a connect also at most CONNECT_TIMEOUT.
        if isinstance(exc, httpx.ConnectTimeout) and time.monotonic() < deadline:
            raise UrlFetchError(f"could not connect within {CONNECT_TIMEOUT:g} seconds.") from exc
        raise UrlFetchError(f"it took longer than the {limit}-second limit.") from exc
    except httpx.HTTPError as exc:
        raise UrlFetchError(f"the request failed: {_failure(exc)}") from exc


def _failure(exc: httpx.HTTPError) -> str:
    """What went wrong, for the person who gave the URL: httpx's own text names the socket
    error (`[Errno 111] ...`) or the TLS library's internals."""
    text = str(exc).lower()
    if "certificate" in text or "hostname" in text or "ssl" in text:
        return "the host's certificate is not valid for its name or not from a known authority."
    if "location header" in text:
        return "the redirect target is not a valid URL."
    if isinstance(exc, httpx.ConnectError):
        return "nothing answers at that address and port; check the URL."
    if isinstance(exc, httpx.TransportError):
        return "the connection broke off before a complete answer; try again later."
    return "the host's answer could not be read."


def _redirect_target(url: httpx.URL, response: httpx.Response) -> httpx.URL:
    try:
        return url.join(response.headers["location"])
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise UrlFetchError(f"the redirect target is not a valid URL ({exc}).") from exc


def _read(response: httpx.Response, *, max_bytes: int, inspect: Inspect | None) -> bytes:
    if response.status_code != 200:
        raise UrlFetchError(f"HTTP {response.status_code} {response.reason_phrase}.".strip())
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in {"", "identity"}:
        raise UrlFetchError(f"the body is {encoding}-encoded; only plain bodies are accepted.")
    too_large = f"it is larger than the limit of {max_bytes:,} bytes."
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise UrlFetchError(too_large)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    data = bytearray()
    inspected = False
    for chunk in response.iter_raw():
        data.extend(chunk)
        if len(data) > max_bytes:
            raise UrlFetchError(too_large)
        if inspect is not None and not inspected and len(data) >= HEAD_BYTES:
            inspect(content_type, bytes(data[:HEAD_BYTES]))
            inspected = True
    if inspect is not None and not inspected:
        inspect(content_type, bytes(data))
    return bytes(data)


# --- the pinned connection ----------------------------------------------------------------


def _time_left(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    """The timeout for one network operation: what it asked for, at most the time left."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the overall deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(
            max_bytes, timeout=_time_left(self._deadline, timeout, httpcore.ReadTimeout)
        )

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(
            buffer, timeout=_time_left(self._deadline, timeout, httpcore.WriteTimeout)
        )

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context,
            server_hostname=server_hostname,
            timeout=_time_left(self._deadline, timeout, httpcore.ConnectTimeout),
        )
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting to the checked address whatever DNS says now.

    httpcore still knows the host by name, so the Host header, TLS SNI and the
    certificate's hostname check all use the name (see httpcore's "Custom network backends").
    """

    def __init__(self, target: _Target, deadline: float) -> None:
        self._target = target
        self._deadline = deadline
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host != self._target.host:
            raise httpcore.ConnectError(f"{host} is not the checked host {self._target.host}")
        stream = self._backend.connect_tcp(
            str(self._target.address),
            port,
            timeout=_time_left(self._deadline, timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched from")


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport (request and response mapping, error translation) over a pool
    that uses the pinned backend and keeps no connection for reuse by another host."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        # certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR where an operator sets them.
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context, max_keepalive_connections=0, network_backend=backend
        )
