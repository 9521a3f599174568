"""What goes wrong in a gateway request, independent of the wire format: each API module
renders it in its vendor's error shape, with the status code that vendor uses."""

from __future__ import annotations

import enum


class Kind(enum.Enum):
    # (HTTP status, OpenAI's error type, OpenAI's code)
    INVALID = (400, "invalid_request_error", None)
    UNAUTHENTICATED = (401, "invalid_request_error", "invalid_api_key")
    MODEL_NOT_FOUND = (404, "invalid_request_error", "model_not_found")
    NOT_FOUND = (404, "invalid_request_error", None)
    NOT_ALLOWED = (405, "invalid_request_error", None)
    TOO_LARGE = (413, "invalid_request_error", "request_too_large")
    UNSUPPORTED_MEDIA = (415, "invalid_request_error", None)
    RATE_LIMITED = (429, "requests", "rate_limit_exceeded")
    QUOTA_EXCEEDED = (429, "insufficient_quota", "insufficient_quota")
    SERVER = (500, "server_error", None)
    UNAVAILABLE = (503, "server_error", "service_unavailable")

    @property
    def status(self) -> int:
        return self.value[0]


class GatewayError(Exception):
    def __init__(
        self,
        kind: Kind,
        message: str,
        *,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.param = param
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return self.kind.status

    def openai_body(self) -> dict[str, object]:
        _, type_, code = self.kind.value
        return {
            "error": {"message": self.message, "type": type_, "param": self.param, "code": code}
        }

    def voyage_body(self) -> dict[str, object]:
        return {"detail": self.message}

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
