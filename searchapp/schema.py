"""The OpenAPI schema: drf-spectacular's, plus every error response an operation can really
give, each with the one error envelope (searchapp.api.exception_handler) as its body."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import TokenScheme as SpectacularTokenScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import (
    SAFE_METHODS,
    AllowAny,
    DjangoModelPermissionsOrAnonReadOnly,
    IsAuthenticatedOrReadOnly,
)

ERROR = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(help_text="What went wrong, in words a person can act on."),
        "errors": serializers.DictField(
            required=False,
            help_text=(
                'Validation errors keyed by field, e.g. {"images": {"1": ["..."]}} '
                "(400 responses only)."
            ),
        ),
    },
)


ERROR_DESCRIPTIONS = {
    "400": "Bad input: `detail` says what, `errors` says where.",
    "401": "The credentials sent are wrong (a bad or expired token).",
    "403": "Authenticated, but without the permission this needs.",
    "404": "No such item, image or page (or not visible to you).",
    "413": "The body, or an image in it, is over the size limit.",
    "415": "The body's content type is not JSON, multipart or a form.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
    "503": "The database is unavailable; retry after the seconds in Retry-After.",
}


class TokenScheme(SpectacularTokenScheme):
    """The token scheme, its `Token ` prefix said in the description generators copy into the
    client (an apiKey scheme has no other place for it)."""

    priority = 1  # over drf-spectacular's own

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'Send the header `Authorization: Token <key>`: the word "Token", one space, '
                "then the key from POST /api/v1/auth/token/ (username + password). Anonymous "
                "callers may search and read items without it."
            ),
        }


# Permissions that let anonymous callers through: always, or for reads.
_ANONYMOUS_ALWAYS = (AllowAny,)
_ANONYMOUS_READS = (DjangoModelPermissionsOrAnonReadOnly, IsAuthenticatedOrReadOnly)


class AutoSchema(SpectacularAutoSchema):
    def get_auth(self) -> list[dict[str, Any]]:
        """The schemes an operation accepts, plus the anonymous `{}` where anonymous callers
        may use it, so that generated clients do not demand credentials for public reads."""
        auths = list(super().get_auth())
        if self._anonymous_allowed() and {} not in auths:
            auths.append({})
        return auths

    def _anonymous_allowed(self) -> bool:
        def lets_anonymous_in(permission: object) -> bool:
            if isinstance(permission, _ANONYMOUS_ALWAYS):
                return True
            return isinstance(permission, _ANONYMOUS_READS) and self.method in SAFE_METHODS

        return all(lets_anonymous_in(permission) for permission in self.view.get_permissions())

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        envelope = self.resolve_serializer(ERROR, "response").ref
        for code in self._error_codes(operation):
            responses.setdefault(
                code,
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": envelope}},
                },
            )
        return dict(operation)

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        view = self.view
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        codes = ["503"]
        if has_body or any(parameter["in"] == "query" for parameter in parameters):
            codes.append("400")
        if getattr(view, "authentication_classes", None):
            codes.append("401")
        permissions = getattr(view, "permission_classes", [])
        writes_guarded = self.method not in SAFE_METHODS and not all(
            p is AllowAny for p in permissions
        )
        if writes_guarded or not self._anonymous_allowed():  # e.g. staff-only reads
            codes.append("403")
        has_path_parameters = any(parameter["in"] == "path" for parameter in parameters)
        paginated = self.method == "GET" and getattr(view, "pagination_class", None) is not None
        if has_path_parameters or paginated:
            codes.append("404")  # a missing object, or a page past the last
        if has_body:
            codes.extend(["413", "415"])
        # What a view says it answers besides (e.g. search: 404 for more like this of an
        # item the caller may not see).
        codes.extend(code for code in getattr(view, "extra_error_codes", ()) if code not in codes)
        if getattr(view, "throttle_classes", None):
            codes.append("429")
        return sorted(codes)
