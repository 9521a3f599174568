"""Uploaded images, served by Django (SEARCHAPP_SERVE_MEDIA), and the media folder's upkeep."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.static import serve

from searchapp.images import ACCEPTED_FORMATS

logger = logging.getLogger(__name__)

# Uploads are stored under content-derived names with the extension of their sniffed format;
# nothing else is ever served from the media folder.
MEDIA_TYPES = {
    f".{extension}": content_type for content_type, extension in ACCEPTED_FORMATS.values()
}
# Hash-named files never change; an hour bounds how long a shared cache keeps showing the
# images of an item after it is made inactive.
PUBLIC_CACHE_CONTROL = "public, max-age=3600"
PRIVATE_CACHE_CONTROL = "private, no-cache"

# Who may see what: each app that stores uploads registers a rule for its folder (catalog:
# items' images; relevance: judged queries' images) in its AppConfig.ready(). A rule gets the
# request and the path's match and answers the Cache-Control to serve it with, or None.
AccessRule = Callable[[HttpRequest, re.Match[str]], str | None]
_rules: list[tuple[re.Pattern[str], AccessRule]] = []


def media_access_register(pattern: str, rule: AccessRule) -> None:
    compiled = re.compile(pattern)
    if all(existing.pattern != compiled.pattern for existing, _ in _rules):
        _rules.append((compiled, rule))


def _cache_control(request: HttpRequest, path: str) -> str:
    """Who may see the file at `path`, as the Cache-Control of its answer; Http404 for
    anyone else, and for any path no app claims. The same 404 as for a missing file, so
    that nobody learns which hidden files exist."""
    for pattern, rule in _rules:
        match = pattern.fullmatch(path)
        if match is not None:
            answer = rule(request, match)
            if answer is not None:
                return answer
            break
    raise Http404("No such image.")


def media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    """Serve an uploaded image: only image files, with the type fixed by its stored format;
    nosniff and a sandboxing CSP keep a browser from treating any of them as a page."""
    content_type = MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())
    if content_type is None:
        raise Http404("Not an image.")
    cache_control = _cache_control(request, path)
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-site"
    response["Cache-Control"] = cache_control
    return response


def remove_empty_folders(names: Iterable[str], storage: Storage = default_storage) -> None:
    """Remove the folders of the stored files `names` that are empty now (a deleted item's
    `items/<id>/`). Only a file system has folders to leave behind; an object store's
    "folders" are name prefixes that vanish with their last file."""
    if not isinstance(storage, FileSystemStorage):
        return
    for folder in {str(PurePosixPath(name).parent) for name in names} - {"."}:
        try:
            Path(storage.path(folder)).rmdir()  # refuses a folder that still holds a file
        except FileNotFoundError:
            pass
        except OSError as error:
            logger.info("media folder %s kept: %s", folder, error.strerror)
