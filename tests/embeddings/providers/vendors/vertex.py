"""A minimal in-memory Vertex AI (multimodalembedding@001 ``:predict``) and Google OAuth 2
token endpoint, for tests.

- ``POST https://{location}-aiplatform.googleapis.com/v1/projects/{p}/locations/{l}/
  publishers/google/models/{model}:predict``: needs ``Authorization: Bearer <token>`` with
  a token in ``ACCESS_TOKENS`` ("test-token") or one this fake issued; checks the body as
  Google documents it (one instance, ``text`` and/or ``image.bytesBase64Encoded``, only
  ``parameters.dimension`` in 128/256/512/1408, text under 1024 characters, BMP/GIF/JPEG/PNG
  images within 20 MB of base64) and answers Google's error shape otherwise.
- ``POST <any host>/token``: the JWT-bearer grant (service accounts; the JWT's RS256
  signature is checked against keys given to ``register_service_account``) and the
  refresh-token grant (refresh token "test-refresh-token").

Vectors: ``expected_vector`` — a unit vector drawn from a generator seeded with
sha256("text:" + the text as sent) or sha256("image:" + the image bytes as sent) and the
dimension. The provider sends one part per instance (an instance with text and image gets
two separate vectors back, as from Vertex), so there is no combined hash: mixed inputs are
fused by the provider.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
import numpy as np

from embeddings.providers.base import ImagePart, TextPart
from embeddings.providers.http import fit_image
from embeddings.providers.vertex import JWT_BEARER_GRANT, VertexProvider, fit_text
from tests.embeddings.providers.vendors.vectors import seeded_vector

DIMENSIONS = (128, 256, 512, 1408)
MODELS = ("multimodalembedding@001", "multimodalembedding")
ACCESS_TOKENS = {"test-token"}
REFRESH_TOKENS = {"test-refresh-token"}
MAX_BASE64_IMAGE_CHARS = 20_000_000
IMAGE_FORMATS = {"BMP", "GIF", "JPEG", "PNG"}
PREDICT_PATH = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):predict$"
)

_issued: set[str] = set()
_service_accounts: dict[str, Any] = {}  # client_email -> public key
_counter = itertools.count(1)


def reset() -> None:
    _issued.clear()
    _service_accounts.clear()


def register_service_account(client_email: str, public_key: Any) -> None:
    """Trust JWTs from this service account, signed by the key's private half (a
    ``cryptography`` RSA public key)."""
    _service_accounts[client_email] = public_key


def _vector(kind: str, content: bytes, dimensions: int) -> np.ndarray:
    return seeded_vector(kind.encode() + b":" + content, dimensions)


def expected_vector(
    part: TextPart | ImagePart, *, dimensions: int, input_type: str | None
) -> np.ndarray:
    """The vector this fake gives ``part`` as the provider sends it (text cut to 1023
    UTF-8 bytes, images refitted to the provider's limits). Vertex ignores input types."""
    if isinstance(part, TextPart):
        return _vector("text", fit_text(part.text).encode("utf-8"), dimensions)
    sent = fit_image(part, VertexProvider.image_limits)
    return _vector("image", sent.data, dimensions)


def _google_error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": status, "message": message, "status": code}}
    )


def _bad_request(message: str) -> httpx.Response:
    return _google_error(400, "INVALID_ARGUMENT", message)


def _unknown_field(name: str, where: str) -> httpx.Response:
    return _bad_request(
        f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
    )


def handler(request: httpx.Request) -> httpx.Response:
    if request.method == "POST" and request.url.path.endswith("/token"):
        return _token(request)
    match = PREDICT_PATH.match(request.url.path)
    if request.method != "POST" or match is None:
        return _google_error(
            404, "NOT_FOUND", f"The requested URL {request.url.path} was not found."
        )
    host = request.url.host
    if host.endswith("aiplatform.googleapis.com") and host != (
        f"{match['location']}-aiplatform.googleapis.com"
    ):
        return _bad_request(f"Location {match['location']} does not match the endpoint {host}.")
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    if token not in ACCESS_TOKENS and token not in _issued:
        return _google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
        )
    if match["model"] not in MODELS:
        return _google_error(
            404,
            "NOT_FOUND",
            f"Publisher Model `projects/{match['project']}/locations/{match['location']}/"
            f"publishers/google/models/{match['model']}` not found.",
        )
    if request.headers.get("content-type") != "application/json":
        return _bad_request("Invalid JSON payload received.")
    try:
        body = json.loads(request.content)
    except ValueError:
        return _bad_request("Invalid JSON payload received.")
    if not isinstance(body, dict):
        return _bad_request("Invalid JSON payload received.")
    for name in body:
        if name not in ("instances", "parameters"):
            return _unknown_field(name, "")
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances:
        return _bad_request("instances is required.")
    if len(instances) != 1:
        return _bad_request(f"1 instance(s) is allowed per prediction. Actual: {len(instances)}")
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        return _bad_request("parameters must be an object.")
    for name in parameters:
        if name != "dimension":
            return _unknown_field(name, "parameters")
    dimensions = parameters.get("dimension", 1408)
    if dimensions not in DIMENSIONS:
        return _bad_request(
            f"Multimodal embedding failed with the following error: dimension {dimensions} "
            "is not supported; supported values are 128, 256, 512 and 1408."
        )
    predictions = []
    for instance in instances:
        prediction = _predict(instance, dimensions)
        if isinstance(prediction, httpx.Response):
            return prediction
        predictions.append(prediction)
    return httpx.Response(200, json={"predictions": predictions, "deployedModelId": ""})


def _predict(instance: Any, dimensions: int) -> dict[str, Any] | httpx.Response:
    if not isinstance(instance, dict):
        return _bad_request("instances[0] must be an object.")
    for name in instance:
        if name not in ("text", "image", "video"):
            return _unknown_field(name, "instances[0]")
    if not any(name in instance for name in ("text", "image", "video")):
        return _bad_request("At least one of text, image or video must be provided.")
    if "video" in instance:
        return _bad_request("This fake embeds no video.")
    prediction: dict[str, Any] = {}
    if "text" in instance:
        text = instance["text"]
        if not isinstance(text, str) or not text:
            return _bad_request("text must be a non-empty string.")
        if len(text.encode("utf-8")) >= 1024:
            return _bad_request(
                "Multimodal embedding failed with the following error: Text field must be "
                "smaller than 1024 characters."
            )
        prediction["textEmbedding"] = _vector("text", text.encode("utf-8"), dimensions).tolist()
    if "image" in instance:
        image = instance["image"]
        if not isinstance(image, dict):
            return _bad_request("image must be an object.")
        for name in image:
            if name not in ("bytesBase64Encoded", "gcsUri", "mimeType"):
                return _unknown_field(name, "instances[0].image")
        encoded = image.get("bytesBase64Encoded")
        if not isinstance(encoded, str) or "gcsUri" in image:
            return _bad_request("image needs exactly one of bytesBase64Encoded or gcsUri.")
        if len(encoded) > MAX_BASE64_IMAGE_CHARS:
            return _bad_request("Image size exceeds the 20 MB limit.")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return _bad_request("image.bytesBase64Encoded is not valid base64.")
        problem = _image_problem(data)
        if problem:
            return _bad_request(f"Multimodal embedding failed with the following error: {problem}")
        prediction["imageEmbedding"] = _vector("image", data, dimensions).tolist()
    return prediction


def _image_problem(data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            fmt = image.format
    except (UnidentifiedImageError, OSError):
        return "the image cannot be decoded."
    if fmt not in IMAGE_FORMATS:
        return f"unsupported image format {fmt}; supported: BMP, GIF, JPG, PNG."
    return None


def _oauth_error(status: int, error: str, description: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": description})


def _token(request: httpx.Request) -> httpx.Response:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _oauth_error(400, "invalid_request", "Invalid content type.")
    form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
    grant = form.get("grant_type")
    if grant == JWT_BEARER_GRANT:
        problem = _jwt_problem(form.get("assertion", ""), audience=str(request.url))
        if problem:
            return _oauth_error(400, "invalid_grant", problem)
    elif grant == "refresh_token":
        if not (form.get("client_id") and form.get("client_secret")):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if form.get("refresh_token") not in REFRESH_TOKENS:
            return _oauth_error(400, "invalid_grant", "Bad Request")
    else:
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
    token = f"ya29.fake-{next(_counter)}"
    _issued.add(token)
    return httpx.Response(
        200, json={"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
    )


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _jwt_problem(assertion: str, *, audience: str) -> str | None:
    segments = assertion.split(".")
    if len(segments) != 3:
        return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
    try:
        header = json.loads(_b64url_decode(segments[0]))
        claims = json.loads(_b64url_decode(segments[1]))
        signature = _b64url_decode(segments[2])
    except (ValueError, binascii.Error):
        return "Invalid JWT: malformed."
    if header.get("alg") != "RS256" or header.get("typ") != "JWT":
        return "Invalid JWT: unsupported signing algorithm."
    if set(claims) - {"iss", "scope", "aud", "iat", "exp", "sub"} or not all(
        claims.get(name) for name in ("iss", "scope", "aud", "iat", "exp")
    ):
        return "Invalid JWT: claims."
    if claims["aud"] != audience:
        return "Invalid JWT: audience."
    now = time.time()
    if not (claims["iat"] - 300 <= now <= claims["exp"]) or claims["exp"] - claims["iat"] > 3600:
        return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
    public_key = _service_accounts.get(claims["iss"])
    if public_key is None:
        return "Invalid JWT Signature."
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        public_key.verify(
            signature,
            f"{segments[0]}.{segments[1]}".encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return "Invalid JWT Signature."
    return None


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)
