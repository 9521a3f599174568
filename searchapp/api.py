"""Pieces every API view shares: pagination and the error envelope.

Kept free of rest_framework.views: DRF imports this module while its own settings load."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."
RETRY_AFTER_SECONDS = "5"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "too_large"


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Any) -> int:
        """A page_size outside 1..max_page_size is an error, not silently the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return int(self.page_size or 0)
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"page_size must be a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters


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
    elif isinstance(exc, RequestDataTooBig):
        # Our own limits say which one was hit; Django's message names a setting.
        from searchapp.parsers import RequestTooLarge

        exc = PayloadTooLarge(str(exc) if isinstance(exc, RequestTooLarge) else None)
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ValidationError(
            {
                "non_field_errors": [
                    "The request has too many form fields or files; send at most "
                    f"{settings.SEARCHAPP_MAX_IMAGES_PER_ITEM} files and "
                    f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields in one request."
                ]
            }
        )
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(f"The request was refused ({type(exc).__name__}).")
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
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        messages = _flatten(errors)
        response.data = {"detail": "; ".join(messages) or "Invalid input.", "errors": errors}
    return response
