"""Any origin (`*` in SEARCHAPP_CORS_ALLOWED_ORIGINS) may make anonymous reads of the public
endpoints: GET/HEAD of search, suggest, facets and the item reads, without an Authorization
header. Everything else needs an origin listed by name. Hooked to django-cors-headers'
`check_request_enabled` signal (SearchappConfig.ready)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest

ANONYMOUS_READ_PATHS = re.compile(
    r"^/api/v1/(search|suggest|facets|items(/\d+(/similar|/images(/\d+)?)?)?)/$"
)
READ_METHODS = frozenset({"GET", "HEAD"})


def anonymous_read_from_any_origin(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    if not settings.SEARCHAPP_CORS_ANY_ORIGIN_READS:
        return False
    if not ANONYMOUS_READ_PATHS.match(request.path_info):
        return False
    if request.method == "OPTIONS":  # a preflight: judge the request it announces
        method = request.headers.get("Access-Control-Request-Method", "")
        headers = request.headers.get("Access-Control-Request-Headers", "").lower()
        return method in READ_METHODS and "authorization" not in headers
    return request.method in READ_METHODS and "Authorization" not in request.headers
