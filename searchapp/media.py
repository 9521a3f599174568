"""Uploaded images, served by Django (SEARCHAPP_SERVE_MEDIA), and the media folder's upkeep."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.static import serve

from catalog.images import ACCEPTED_FORMATS
from catalog.selectors import item_is_active

logger = logging.getLogger(__name__)

# Uploads are stored under content-derived names with the extension of their sniffed format;
# nothing else is ever served from the media folder.
MEDIA_TYPES = {
    f".{extension}": content_type for content_type, extension in ACCEPTED_FORMATS.values()
}
# catalog.models.item_image_upload_to and relevance.models.judged_query_image_upload_to.
ITEM_IMAGE_PATH = re.compile(r"items/(?P<item_id>[0-9]{1,18})/[^/]+")
JUDGED_QUERY_IMAGE_PATH = re.compile(r"relevance/queries/[^/]+")
# Hash-named files never change; an hour bounds how long a shared cache keeps showing the
# images of an item after it is made inactive.
PUBLIC_CACHE_CONTROL = "public, max-age=3600"
PRIVATE_CACHE_CONTROL = "private, no-cache"


def _cache_control(request: HttpRequest, path: str) -> str:
    """Who may see the file at `path`, as the Cache-Control of its answer; Http404 for
    anyone else. The images of an active item are public; those of an inactive item only
    for curators (who may change items: the admin shows them), and judged queries' images
    only for those who may view judged queries. The same 404 as for a missing file, so
    that nobody learns which inactive items have images."""
    match = ITEM_IMAGE_PATH.fullmatch(path)
    if match is not None:
        if item_is_active(item_id=int(match["item_id"])):
            return PUBLIC_CACHE_CONTROL
        if request.user.has_perm("catalog.change_item"):
            return PRIVATE_CACHE_CONTROL
    elif JUDGED_QUERY_IMAGE_PATH.fullmatch(path) and request.user.has_perm(
        "relevance.view_judgedquery"
    ):
        return PRIVATE_CACHE_CONTROL
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
