"""Reading API request bodies within limits.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE for `request.body` and for multipart form
fields, but DRF's JSON and form parsers read the stream themselves: these parsers refuse a
body whose Content-Length is over the limit before reading a byte of it. A multipart file
is not held to that limit (it streams to a temporary file), so the upload handler below
stops any file at SEARCHAPP_MAX_IMAGE_BYTES + 1, before the rest of it is read. Both
answer 413 with a JSON `detail` in the API (searchapp.api.exception_handler); elsewhere
Django answers 400, as for any RequestDataTooBig.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from searchapp.images import megabytes


class RequestTooLarge(RequestDataTooBig):
    """The body, or a file in it, is over a limit; the message says which, for a person."""


def _check_content_length(parser_context: Mapping[str, Any] | None) -> None:
    request = (parser_context or {}).get("request")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request is None or limit is None:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise RequestTooLarge(
            f"The request body is {megabytes(length)}; the limit is {megabytes(limit)}. "
            "Send large images as multipart files."
        )


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: Any, media_type: Any = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        _check_content_length(parser_context)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
        except ParseError as exc:
            # DRF passes on the codec's own words ("'utf-8' codec can't decode byte 0xff").
            if isinstance(exc.__context__, UnicodeError):
                raise ParseError(
                    "JSON parse error - the body is not text in the charset its Content-Type "
                    "declares (UTF-8 when it declares none); send JSON encoded as UTF-8."
                ) from exc.__context__
            raise
        try:
            # "\ud800" escapes decode to lone surrogates: valid JSON, but no text can hold them.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseError(
                "JSON parse error - the body holds a lone surrogate escape (\\ud800-\\udfff), "
                "which is not a character."
            ) from exc
        return data


class FormParser(parsers.FormParser):
    def parse(
        self, stream: Any, media_type: Any = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        _check_content_length(parser_context)
        return super().parse(stream, media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    """Django's multipart parser already limits form fields and the number of files; files
    are limited by ImageSizeLimitUploadHandler."""

    def parse(
        self, stream: Any, media_type: Any = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            # Django's messages quote its own checks ("Invalid boundary in multipart: None").
            cause = exc.__context__
            if isinstance(cause, MultiPartParserError):
                problem = (
                    "its Content-Type needs the boundary parameter that separates the parts"
                    if "boundary" in str(cause).lower()
                    else "its parts or their headers are malformed"
                )
                raise ParseError(
                    f"Multipart form parse error - the body is not multipart/form-data: {problem}."
                ) from cause
            raise


API_PARSERS = [JSONParser, MultiPartParser, FormParser]


class ImageSizeLimitUploadHandler(FileUploadHandler):
    """Stops a multipart upload as soon as one file passes SEARCHAPP_MAX_IMAGE_BYTES, so an
    oversized file is neither read to its end nor written whole to a temporary file.
    (First in FILE_UPLOAD_HANDLERS: the handlers after it never see the extra bytes.)"""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        limit = settings.SEARCHAPP_MAX_IMAGE_BYTES
        if start + len(raw_data) > limit:
            raise RequestTooLarge(
                f"The file {self.file_name!r} is larger than the limit of {megabytes(limit)} "
                "per image."
            )
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
