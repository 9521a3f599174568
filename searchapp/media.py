from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.static import serve


def media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    """Serve an uploaded image. Files are stored under content-derived names with the extension
    of their sniffed format, so the type guessed from the name is the real one; nosniff and a
    sandboxing CSP keep a browser from treating any of them as a page."""
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=86400"
    return response
