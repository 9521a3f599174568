from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.static import serve

from searchapp.images import ACCEPTED_FORMATS

# Uploads are stored under content-derived names with the extension of their sniffed format;
# nothing else is ever served from the media folder.
MEDIA_TYPES = {
    f".{extension}": content_type for content_type, extension in ACCEPTED_FORMATS.values()
}


def media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    """Serve an uploaded image: only image files, with the type fixed by its stored format;
    nosniff and a sandboxing CSP keep a browser from treating any of them as a page."""
    content_type = MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())
    if content_type is None:
        raise Http404("Not an image.")
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-site"
    response["Cache-Control"] = "public, max-age=86400"
    return response
