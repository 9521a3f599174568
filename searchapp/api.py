"""Pieces every API view shares: pagination and the error envelope.

Kept free of rest_framework.views: DRF imports this module while its own settings load."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."
RETRY_AFTER_SECONDS = "5"


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    """{"images": {"0": ["not an image"]}} -> ["images[0]: not an image"]."""
    if isinstance(errors, dict):
        messages: list[str] = []
        for key, value in errors.items():
            if key == "non_field_errors":
                name = prefix
            elif str(key).isdigit():
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            messages.extend(_flatten(value, name))
        return messages
    if isinstance(errors, list):
        if all(isinstance(value, str) for value in errors):
            return [f"{prefix}: {value}" if prefix else str(value) for value in errors]
        messages = []
        for index, value in enumerate(errors):
            if value:
                messages.extend(_flatten(value, f"{prefix}[{index}]"))
        return messages
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is JSON with a human-readable "detail"; validation errors add "errors"."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        return Response(
            {"detail": DATABASE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    elif isinstance(exc, DatabaseError):
        raise exc

    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        messages = _flatten(errors)
        response.data = {"detail": "; ".join(messages) or "Invalid input.", "errors": errors}
    return response
