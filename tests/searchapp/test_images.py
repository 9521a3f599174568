from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from searchapp.images import (
    image_from_bytes,
    image_from_data_url,
    image_from_url,
    sniff_image_format,
)
from tests.conftest import make_image_bytes
from tests.http_servers import LocalServer, Sent, repeat, respond, stream
from tests.security.conftest import png_declaring as png_header_only

MB = 1024 * 1024


@pytest.mark.parametrize(
    "fmt,content_type",
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_accepts_each_provider_format(fmt: str, content_type: str) -> None:
    data = make_image_bytes(fmt, size=(30, 20))
    image = image_from_bytes(data)
    assert (image.content_type, image.width, image.height) == (content_type, 30, 20)
    assert len(image.sha256) == 64 and image.filename.endswith(image.extension)


def codes(exc: pytest.ExceptionInfo[ValidationError]) -> list[str | None]:
    return [error.code for error in exc.value.error_list]


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "empty"),
        (b"hello, I am plain text and not a picture", "not_an_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not_an_image"),
        (make_image_bytes("PNG")[:60], "corrupt_image"),
        (make_image_bytes("JPEG", size=(200, 200))[:300], "corrupt_image"),
        (make_image_bytes("BMP"), "unsupported_format"),
        (make_image_bytes("TIFF"), "unsupported_format"),
    ],
    ids=["empty", "text", "svg", "truncated-png", "truncated-jpeg", "bmp", "tiff"],
)
def test_rejects_bad_bytes(data: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        image_from_bytes(data)
    assert codes(exc) == [code]


def test_pixel_limit_is_checked_from_the_header_before_decoding(settings) -> None:
    with pytest.raises(ValidationError) as exc:
        image_from_bytes(png_header_only(30000, 30000))
    assert codes(exc) == ["too_many_pixels"]
    assert "16,000,000" in exc.value.messages[0]


def test_pixel_limit_comes_from_settings(settings) -> None:
    settings.SEARCHAPP_MAX_IMAGE_PIXELS = 100 * 100
    image_from_bytes(make_image_bytes(size=(100, 100)))
    with pytest.raises(ValidationError) as exc:
        image_from_bytes(make_image_bytes(size=(101, 100)))
    assert codes(exc) == ["too_many_pixels"]


def test_byte_limit_comes_from_settings(settings) -> None:
    data = make_image_bytes(size=(300, 300))
    settings.SEARCHAPP_MAX_IMAGE_BYTES = len(data) - 1
    with pytest.raises(ValidationError) as exc:
        image_from_bytes(data)
    assert codes(exc) == ["too_large"]


def test_declared_content_type_must_match_the_bytes() -> None:
    jpeg = make_image_bytes("JPEG")
    assert image_from_bytes(jpeg, declared_content_type="image/jpeg").content_type == "image/jpeg"
    assert image_from_bytes(jpeg, declared_content_type="image/jpg").content_type == "image/jpeg"
    assert (
        image_from_bytes(jpeg, declared_content_type="application/octet-stream").extension == "jpg"
    )
    with pytest.raises(ValidationError) as exc:
        image_from_bytes(jpeg, declared_content_type="image/png")
    assert codes(exc) == ["content_type_mismatch"]
    with pytest.raises(ValidationError) as exc:
        image_from_bytes(jpeg, declared_content_type="text/html")
    assert codes(exc) == ["unsupported_type"]


def test_data_url_round_trip() -> None:
    data = make_image_bytes("WEBP")
    url = "data:image/webp;base64," + base64.b64encode(data).decode()
    image = image_from_data_url(url)
    assert image.data == data and image.content_type == "image/webp"


@pytest.mark.parametrize(
    "value",
    [
        "not a data url",
        "data:image/png,rawbytes",
        "data:image/png;base64,@@@not-base64@@@",
        "data:image/png;base64,iVBORw0KGgo",  # valid base64 prefix of a PNG, too short
        "http://example.com/a.png",
        "data:text/html;base64," + base64.b64encode(b"<b>hi</b>").decode(),
    ],
)
def test_malformed_data_urls_are_rejected(value: str) -> None:
    with pytest.raises(ValidationError):
        image_from_data_url(value)


def test_data_url_type_must_match_bytes() -> None:
    url = "data:image/gif;base64," + base64.b64encode(make_image_bytes("PNG")).decode()
    with pytest.raises(ValidationError) as exc:
        image_from_data_url(url)
    assert codes(exc) == ["content_type_mismatch"]


def test_decodes_real_photo_modes() -> None:
    buffer = io.BytesIO()
    Image.new("CMYK", (20, 20), (0, 50, 100, 0)).save(buffer, format="JPEG")
    assert image_from_bytes(buffer.getvalue()).content_type == "image/jpeg"


# --- image URLs (the fetching rules themselves: tests/searchapp/test_urlfetch.py) -------------


@pytest.mark.parametrize(
    "fmt,name", [("PNG", "PNG"), ("JPEG", "JPEG"), ("WEBP", "WEBP"), ("GIF", "GIF")]
)
def test_sniff_recognises_each_accepted_format(fmt: str, name: str) -> None:
    assert sniff_image_format(make_image_bytes(fmt)[:16]) == name


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"<html><body>",
        b"<?xml version=",
        b"<svg xmlns=",
        b"%PDF-1.7",
        b"BM\x00\x00",
        b"RIFF\0\0\0\0WAVE",
    ],  # fmt: skip
)
def test_sniff_refuses_everything_else(head: bytes) -> None:
    assert sniff_image_format(head) is None


def test_image_from_url_validates_what_it_fetched(image_server: LocalServer) -> None:
    jpeg = make_image_bytes("JPEG", size=(30, 20))
    image_server.routes["/a.jpg"] = respond(jpeg, content_type="image/jpeg; charset=binary")
    image = image_from_url(image_server.url("/a.jpg"))
    assert (image.content_type, image.width, image.height, image.data) == (
        "image/jpeg",
        30,
        20,
        jpeg,
    )
    assert image_server.seen[0].headers["accept"] == "image/*"


@pytest.mark.parametrize(
    "content_type,body,reason",
    [
        ("text/html", b"<html></html>", "the content type is text/html, not image/*."),
        ("application/octet-stream", make_image_bytes(), "the content type is application/"),
        (None, make_image_bytes(), "the content type is missing, not image/*."),
        ("image/png", b"<html><body>hi</body></html>", "not a JPEG, PNG, WebP or GIF image."),
        ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "not a JPEG, PNG"),
        ("image/bmp", make_image_bytes("BMP"), "not a JPEG, PNG, WebP or GIF image."),
        ("image/png", b"", "not a JPEG, PNG, WebP or GIF image."),
        ("image/gif", b"GIF8", "not a JPEG, PNG, WebP or GIF image."),  # cut in the magic
    ],
    ids=["html", "octet-stream", "none", "html-as-png", "svg", "bmp", "empty", "half-magic"],
)
def test_image_from_url_refuses_what_is_not_an_accepted_image(
    image_server: LocalServer, content_type: str | None, body: bytes, reason: str
) -> None:
    image_server.routes["/x"] = respond(body, content_type=content_type)
    with pytest.raises(ValidationError) as exc:
        image_from_url(image_server.url("/x"))
    assert exc.value.messages[0].startswith("Could not fetch the image: ")
    assert reason in exc.value.messages[0]
    assert codes(exc) == ["url_not_fetched"]


def test_html_served_as_an_image_is_refused_before_the_rest_is_read(
    image_server: LocalServer,
) -> None:
    """64 MB of HTML labelled image/png: refused on its first bytes, not at the size cap."""
    sent = Sent()
    image_server.routes["/page.png"] = stream(repeat(b"<html>" + b" " * 65530, 64 * MB), sent)
    with pytest.raises(ValidationError, match="not a JPEG, PNG, WebP or GIF image"):
        image_from_url(image_server.url("/page.png"))
    assert not sent.finished


def test_a_fetched_image_that_sniffs_right_but_is_broken_fails_validation(
    image_server: LocalServer,
) -> None:
    image_server.routes["/cut.png"] = respond(make_image_bytes("PNG", size=(120, 120))[:80])
    with pytest.raises(ValidationError) as exc:
        image_from_url(image_server.url("/cut.png"))
    assert codes(exc) == ["corrupt_image"]


def test_image_from_url_caps_at_the_image_byte_limit(
    image_server: LocalServer, settings: Any
) -> None:
    settings.SEARCHAPP_MAX_IMAGE_BYTES = 5000
    sent = Sent()
    image_server.routes["/big.png"] = stream(
        repeat(b"\x89PNG\r\n\x1a\n" + b"\0" * 4088, 64 * MB), sent
    )
    with pytest.raises(ValidationError, match="larger than the limit of 5,000 bytes"):
        image_from_url(image_server.url("/big.png"))
    assert not sent.finished
