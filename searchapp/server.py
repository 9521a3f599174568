"""How the web server treats slow clients and requests it refuses itself.

gunicorn's ``gthread`` worker (searchapp/gunicorn.conf.py) serves each connection on a
thread of a pool, so a client that stalls holds one thread, not a whole process, and the
worker keeps answering its heartbeat (it is never killed for a slow client). What a
stalled thread may hold is bounded here:

- `BodyDeadline` wraps the WSGI application: every read of a request body waits at most
  ``SEARCHAPP_BODY_READ_TIMEOUT`` seconds for the next bytes, and the body as a whole must
  keep up ``SEARCHAPP_BODY_MIN_RATE`` bytes a second after that first grace period. A body
  that falls behind is dropped: the client gets a 408 with a JSON ``detail`` (under
  ``/api/``) and the connection is closed.
- `Worker` answers the errors gunicorn raises before Django runs (a request line over the
  limit: 414; header fields over the limit: 431; a malformed request such as a negative
  Content-Length: 400) with the same JSON envelope as the API instead of gunicorn's HTML.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import BadRequest
from gunicorn.http import errors as gunicorn_errors
from gunicorn.workers.gthread import ThreadWorker

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RequestBodyTimeout(BadRequest):
    """The client stopped sending its request body, or sends it too slowly."""


class _DeadlineInput:
    """The request body, read with a deadline on every read of the client's socket."""

    def __init__(self, stream: Any, sock: socket.socket, *, idle: float, min_rate: float) -> None:
        self.stream = stream
        self.sock = sock
        self.idle = idle
        self.min_rate = min_rate
        self.started = time.monotonic()
        self.received = 0
        self.timed_out = False

    def _wait(self) -> float:
        """Seconds the next read may wait: the idle limit, or less when the body as a whole
        is behind the minimum rate."""
        behind = self.started + self.idle + self.received / self.min_rate - time.monotonic()
        return min(self.idle, behind)

    def _call(self, method: Callable[..., bytes], *args: Any) -> bytes:
        wait = self._wait()
        if wait <= 0:
            self._give_up()
        self.sock.settimeout(wait)
        try:
            data = method(*args)
        except TimeoutError:
            self._give_up()
        finally:
            self.sock.settimeout(None)
        self.received += len(data)
        return data

    def _give_up(self) -> NoReturn:
        self.timed_out = True
        raise RequestBodyTimeout(
            f"The request body did not arrive in time ({self.received:,} bytes in "
            f"{time.monotonic() - self.started:.1f} s)."
        )

    def read(self, size: int | None = None) -> bytes:
        return self._call(self.stream.read, size)

    def readline(self, size: int | None = None) -> bytes:
        return self._call(self.stream.readline, size)

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _json(status: str, detail: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ]
    return status, headers, body


TIMEOUT_DETAIL = (
    "The request body arrived too slowly or stopped; the connection was closed. "
    "Send the whole request again on a working connection."
)


class BodyDeadline:
    """WSGI middleware: a request body that stalls or trickles is dropped with a 408."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        if not isinstance(sock, socket.socket) or not _has_body(environ):
            return self.app(environ, start_response)
        body = _DeadlineInput(
            environ["wsgi.input"],
            sock,
            idle=float(settings.SEARCHAPP_BODY_READ_TIMEOUT),
            min_rate=float(settings.SEARCHAPP_BODY_MIN_RATE),
        )
        environ["wsgi.input"] = body
        deferred = _Deferred(start_response)
        result = self.app(environ, deferred)
        if not body.timed_out:
            return deferred.replay(result)
        with contextlib.suppress(OSError):
            if hasattr(result, "close"):
                result.close()
            # What is left of the body is never read: the connection ends after the answer.
            sock.shutdown(socket.SHUT_RD)
        logger.warning(
            "dropped a slow request body: %s %s", environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
        )  # fmt: skip
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            status, headers, payload = _json("408 Request Timeout", TIMEOUT_DETAIL)
        else:
            payload = TIMEOUT_DETAIL.encode()
            status = "408 Request Timeout"
            headers = [("Content-Type", "text/plain; charset=utf-8"),
                       ("Content-Length", str(len(payload)))]  # fmt: skip
        deferred.start_response(status, headers)
        return [payload]


class _Deferred:
    """start_response held back until the application has returned, so that a response
    to a body that timed out can be replaced by the 408."""

    def __init__(self, start_response: StartResponse) -> None:
        self.start_response = start_response
        self.args: tuple[Any, ...] = ()

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.args = (status, headers, exc_info)
        return self._write

    def _write(self, data: bytes) -> None:  # the legacy write() callable: not used by Django
        raise NotImplementedError

    def replay(self, result: Iterable[bytes]) -> Iterable[bytes]:
        status, headers, exc_info = self.args
        self.start_response(status, headers, exc_info)
        return result


def _has_body(environ: dict[str, Any]) -> bool:
    length = environ.get("CONTENT_LENGTH") or "0"
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or (length.isdigit() and int(length) > 0)


# --- errors gunicorn answers before Django runs ---------------------------------------------

_SERVER_ERRORS: list[tuple[type[Exception], int, str, str]] = [
    (gunicorn_errors.LimitRequestLine, 414, "URI Too Long",
     "The URL is too long (at most {line:,} bytes for the request line). Send long queries "
     "as a JSON body, e.g. POST /api/v1/search/."),
    (gunicorn_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large",
     "A request header is too large or there are too many (at most {fields} fields of "
     "{field_size:,} bytes each). Send less in headers: cookies, tokens and queries belong "
     "in their own fields or the body."),
    (gunicorn_errors.ExpectationFailed, 417, "Expectation Failed",
     "Only 'Expect: 100-continue' is understood; send the request without that header."),
    (gunicorn_errors.UnsupportedTransferCoding, 501, "Not Implemented",
     "The transfer coding is not supported; send the body with a Content-Length, or chunked."),
]  # fmt: skip
# The application's own faults (a bad response header) and gunicorn's configuration stay 500s.
_NOT_THE_CLIENTS = (
    gunicorn_errors.InvalidResponseHeader,
    gunicorn_errors.InvalidResponseHeaderName,
    gunicorn_errors.ConfigurationProblem,
)


class Worker(ThreadWorker):
    """gunicorn's gthread worker whose own error answers (before Django runs) are JSON."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        known = [entry for entry in _SERVER_ERRORS if isinstance(exc, entry[0])]
        if known:
            _, code, reason, detail = known[0]
        elif isinstance(exc, gunicorn_errors.ParseException) and not isinstance(
            exc, _NOT_THE_CLIENTS
        ):
            code, reason = 400, "Bad Request"
            detail = f"The request is malformed and was not read: {exc}."
        else:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        message = detail.format(
            line=self.cfg.limit_request_line,
            fields=self.cfg.limit_request_fields,
            field_size=self.cfg.limit_request_field_size,
        )
        body = json.dumps({"detail": message}).encode()
        head = (
            f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            client.sendall(head.encode("latin-1") + body)
        return None
