"""Real HTTP(S) servers on loopback addresses, each in a thread, for the URL fetching tests.

Linux answers on all of 127.0.0.0/8, so a test can run one server on 127.0.0.2 (the
"internal image host" an operator allowed) and another on 127.0.0.1 (which must never be
reached), and tell from each server's log which one a request went to.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    sni: str | None = None


@dataclass
class Sent:
    """What a streaming route managed to send before it finished or the client hung up."""

    bytes: int = 0
    finished: bool = False


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        sni = getattr(self.request, "sni_name", None)
        self.server.owner.seen.append(
            Seen(path=path, headers={k.lower(): v for k, v in self.headers.items()}, sni=sni)
        )
        route = self.server.owner.routes.get(path)
        if route is None:
            self.send_error(404)
            return
        # The client may hang up mid-response, as the fetcher does when it refuses one.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
            route(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: LocalServer

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        tls = self.owner.tls
        if tls is not None:
            sock = tls.wrap_socket(sock, server_side=True)
        return sock, address


class LocalServer:
    """An HTTP server on `address` (port 0: any free one). `routes` maps a path to a
    function that writes the response; `seen` lists every request in order."""

    def __init__(self, address: str, port: int = 0, *, tls: ssl.SSLContext | None = None) -> None:
        self.address = address
        self.tls = tls
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._server = _Server((address, port), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def url(self, path: str, *, host: str | None = None, scheme: str = "http") -> str:
        return f"{scheme}://{host or self.address}:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- routes ---------------------------------------------------------------------------------


def respond(
    data: bytes = b"",
    *,
    status: int = 200,
    content_type: str | None = "image/png",
    headers: dict[str, str] | None = None,
    content_length: int | None = None,
) -> Route:
    """A plain response; `content_length` may lie about the body."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        handler.send_header(
            "Content-Length", str(len(data) if content_length is None else content_length)
        )
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    return route


def redirect(location: str, *, status: int = 302, delay: float = 0.0) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def stream(
    chunks: Iterator[bytes],
    sent: Sent,
    *,
    content_type: str = "image/png",
    content_length: int | None = None,
    delay: float = 0.0,
) -> Route:
    """Headers at once, then the body chunk by chunk (`delay` seconds apart), counting what
    got out; without a Content-Length the body ends when the connection closes."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        if content_length is not None:
            handler.send_header("Content-Length", str(content_length))
        handler.end_headers()
        handler.wfile.flush()
        for chunk in chunks:
            time.sleep(delay)
            handler.wfile.write(chunk)
            handler.wfile.flush()
            sent.bytes += len(chunk)
        sent.finished = True

    return route


def drip_headers(body: bytes, sent: Sent, *, delay: float) -> Route:
    """The status line and headers one byte at a time, then a normal body."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        for byte in head:
            time.sleep(delay)
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            sent.bytes += 1
        handler.wfile.write(body)
        sent.finished = True

    return route


def repeat(chunk: bytes, total: int) -> Iterator[bytes]:
    for _ in range(total // len(chunk)):
        yield chunk


def one_byte_at_a_time(data: bytes) -> Iterator[bytes]:
    for byte in data:
        yield bytes([byte])


# --- TLS --------------------------------------------------------------------------------------


@dataclass
class LocalCA:
    """A certificate authority made for one test, and server contexts it signs."""

    folder: Path
    bundle: Path = field(init=False)

    def __post_init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "searchapp test CA")])
        now = datetime.datetime.now(datetime.UTC)
        self._name = name
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.bundle = self.folder / "ca.pem"
        self.bundle.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def server_context(self, hostname: str) -> ssl.SSLContext:
        """A server context with a certificate for `hostname`; it records the SNI it is sent
        on each connection's SSL socket (`sni_name`)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        chain = self.folder / f"{hostname}.pem"
        chain.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            + cert.public_bytes(serialization.Encoding.PEM)
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain)

        def remember_sni(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
            sock.sni_name = name  # type: ignore[attr-defined]

        context.sni_callback = remember_sni
        return context
