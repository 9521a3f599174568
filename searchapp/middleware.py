"""Every page gets a Content-Security-Policy; a database outage answers 503 with a message
on every page, as it does in the API."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from searchapp.api import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Pages that are not API views (search, item pages, admin) answer 503 with a message
    while the database cannot be reached, instead of a 500; API views do the same in
    `searchapp.api.exception_handler`. Nothing needs restarting afterwards: Django drops
    the broken connection (CONN_HEALTH_CHECKS) and the next request connects again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable: %s", exception)
        # Rendered without the request: context processors would query the database.
        page = render_to_string("503.html", {"message": DATABASE_UNAVAILABLE})
        return HttpResponse(page, status=503, headers={"Retry-After": RETRY_AFTER_SECONDS})


CSP_HEADER = "Content-Security-Policy"


def content_security_policy(directives: dict[str, list[str]]) -> str:
    """The header value of a policy given as directive -> sources."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sets `SEARCHAPP_CONTENT_SECURITY_POLICY` on every response that has no policy of its
    own (uploaded images carry a stricter one from `searchapp.media`). The pages have no
    inline script or style, so the policy needs neither nonces nor 'unsafe-inline': an
    injected `<script>`, event handler or `javascript:` link does not run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy(settings.SEARCHAPP_CONTENT_SECURITY_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if CSP_HEADER not in response:
            response[CSP_HEADER] = self.policy
        return response
