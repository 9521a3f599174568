"""What every gateway endpoint shares: the on/off switch, the API key (``Authorization:
Bearer <key>``, as both vendors' clients send it), the key's request rate, and errors in
the vendor's own shape (each endpoint says which)."""

from __future__ import annotations

import base64
from abc import abstractmethod
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway.errors import GatewayError, Kind
from gateway.limits import key_rate_check
from gateway.models import GatewayKey
from gateway.selectors import key_for
from searchapp.parsers import JSONParser


class GatewayApi(APIView):
    authentication_classes: list[type] = []  # the gateway's own keys, checked in initial()
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []  # per-key limits instead (gateway.limits)
    parser_classes = [JSONParser]

    @abstractmethod
    def error_body(self, error: GatewayError) -> dict[str, Any]:
        """The error in this endpoint's vendor shape."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not settings.SEARCHAPP_GATEWAY:
            raise GatewayError(Kind.NOT_FOUND, "The embedding gateway is switched off here.")
        scheme, _, raw_key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not raw_key.strip():
            raise GatewayError(
                Kind.UNAUTHENTICATED,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        key = key_for(raw_key=raw_key.strip())
        if key is None:
            raise GatewayError(Kind.UNAUTHENTICATED, "Incorrect or revoked API key provided.")
        key_rate_check(key=key)
        self.key: GatewayKey = key

    def handle_exception(self, exc: Exception) -> Response:
        error = gateway_error(exc)
        if error is None:
            raise exc  # an unexpected failure: Django's 500 (logged, no details)
        return Response(self.error_body(error), status=error.status, headers=error.headers())


def gateway_error(exc: Exception) -> GatewayError | None:
    """DRF's and Django's refusals (bad JSON, media type, size, method) as gateway errors."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        return GatewayError(Kind.TOO_LARGE, str(exc) or "The request body is too large.")
    if isinstance(exc, exceptions.ParseError):
        return GatewayError(
            Kind.INVALID, f"We could not parse the JSON body of your request. ({exc.detail})"
        )
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return GatewayError(Kind.UNSUPPORTED_MEDIA, "Send the body as application/json.")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return GatewayError(Kind.NOT_ALLOWED, str(exc.detail))
    if isinstance(exc, exceptions.APIException) and exc.status_code == 413:
        return GatewayError(Kind.TOO_LARGE, str(exc.detail))
    return None


def body_object(request: Request, *, known: set[str], required: tuple[str, ...]) -> dict[str, Any]:
    """The JSON body as an object with only known fields and every required one."""
    body = request.data
    if not isinstance(body, dict):
        raise GatewayError(Kind.INVALID, "The request body must be a JSON object.")
    unknown = sorted(set(body) - known)
    if unknown:
        raise GatewayError(
            Kind.INVALID,
            f"Unrecognized request argument supplied: {unknown[0]} (known: "
            f"{', '.join(sorted(known))})",
            param=unknown[0],
        )
    for name in required:
        if body.get(name) is None:
            raise GatewayError(Kind.INVALID, f"You must provide a {name} parameter.", param=name)
    return body


def invalid(param: str, message: str) -> GatewayError:
    return GatewayError(Kind.INVALID, f"Invalid value for '{param}': {message}", param=param)


def encoded(vector: Any, encoding: str | None) -> list[float] | str:
    """A vector as JSON numbers, or base64 of little-endian float32 (both vendors' base64)."""
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return [float(value) for value in vector]
