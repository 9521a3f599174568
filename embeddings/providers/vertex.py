"""Google Vertex AI multimodal embeddings (``multimodalembedding@001``): text and images
in one 128/256/512/1408-d space.

Wire format, as Google documents it:
``POST https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/multimodalembedding@001:predict``
with ``Authorization: Bearer <OAuth 2 access token>`` and
``{"instances": [{"text": ...} | {"image": {"bytesBase64Encoded": ...}}], "parameters":
{"dimension": 128|256|512|1408}}``; the answer is ``{"predictions": [{"textEmbedding":
[...], "imageEmbedding": [...]}]}``. An instance holding text *and* an image gets two
separate vectors back, not one fused vector, so this provider is not ``interleaved``: each
part travels as its own instance and ``EmbeddingProvider.embed`` fuses mixed inputs.

Sources:
- https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/multimodal-embeddings-api
  (request body, ``dimension`` values 128, 256, 512, 1408; the page's JSON sketch puts
  ``parameters`` inside the instance, while its own samples, the Go sample
  ``generativeaionvertexai-embeddings-specify-lower-dimension`` and the Python SDK send it
  beside ``instances``, as every Vertex ``predict`` call does: followed here)
- https://cloud.google.com/vertex-ai/generative-ai/docs/embeddings/get-multimodal-embeddings
  ("API limits": 120-600 requests per minute per project depending on region; text: 32
  tokens, longer text is shortened by the model; English; images BMP, GIF, JPG, PNG; image
  size 20 MB for base64 images "when transcoded to PNG"; the model resizes images to
  512x512)
- googleapis/python-aiplatform ``vertexai/vision_models/_vision_models.py``
  (``MultiModalEmbeddingModel.get_embeddings``: one instance per request, no ``mimeType``)
- https://developers.google.com/identity/protocols/oauth2/service-account (the JWT grant a
  service-account key file is exchanged with)

Not in Google's limits table, and handled conservatively:
- instances per request: the SDK and every sample send exactly one; Vertex answers
  "N instance(s) is allowed per prediction" above a model's cap, so one instance per
  request (requests run one after another).
- text length: Vertex answers 400 "Text field must be smaller than 1024 characters" (seen
  in several public projects, not in the docs; one reports it as bytes for CJK text).
  Texts are cut to at most 1023 UTF-8 bytes, which loses nothing the model reads (it keeps
  32 tokens).
- there is no usage in the answer: base.Usage counts requests, inputs, images and the pixels
  sent; ``text_tokens`` stays 0 (Vertex bills this model per character and per image).
- there is no query/document input type: queries and documents are sent alike.

Authentication, first found wins: OPTIONS["access_token"], GOOGLE_ACCESS_TOKEN, or a
credentials file (OPTIONS["credentials_file"] or GOOGLE_APPLICATION_CREDENTIALS): a
service-account key (a JWT signed RS256 with the ``cryptography`` package is exchanged at
the file's ``token_uri`` for a one-hour access token) or an ``authorized_user`` file from
``gcloud auth application-default login`` (its refresh token is exchanged). Tokens are
cached until five minutes before they expire. OPTIONS["api_key"] is not used (Vertex API
keys only serve "express mode" Gemini calls). Project: OPTIONS["project"], else the
credentials file's ``project_id``, else GOOGLE_CLOUD_PROJECT. Location: OPTIONS["location"]
(default us-central1).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx
import numpy as np
from django.core import checks

from embeddings.providers import base, http

# "multimodalembedding" is the unpinned name of the same model in Google's samples.
MODELS = ("multimodalembedding@001", "multimodalembedding")
DIMENSIONS = (128, 256, 512, 1408)
DEFAULT_DIMENSIONS = 1408
DEFAULT_LOCATION = "us-central1"
# "Text field must be smaller than 1024 characters" (see the module docstring).
MAX_TEXT_BYTES = 1023
# 20 MB per base64 image: keep the base64 text itself within it.
MAX_IMAGE_BYTES = 20_000_000 * 3 // 4
# The 20 MB applies to the image transcoded to PNG, which Google does not let us predict.
# A PNG of 2048x2048 RGBA pixels is at most ~16.8 MB, and the model sees 512x512 anyway,
# so larger images are downscaled to this many pixels first.
MAX_IMAGE_PIXELS = 2048 * 2048

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # seconds; the longest Google accepts
TOKEN_REFRESH_MARGIN = 300  # seconds before expiry when a cached token is replaced
CRYPTOGRAPHY_MISSING = (
    "signing the service-account JWT needs the `cryptography` package: install it (or "
    "google-auth, which brings it), or pass an OAuth access token instead "
    "(OPTIONS['access_token'] or GOOGLE_ACCESS_TOKEN, e.g. from "
    "`gcloud auth print-access-token`)"
)


def fit_text(text: str) -> str:
    """The text as sent: at most MAX_TEXT_BYTES of UTF-8, cut at a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_TEXT_BYTES:
        return text
    return encoded[:MAX_TEXT_BYTES].decode("utf-8", errors="ignore")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_signing_key(private_key_pem: str) -> Any:
    """The RSA private key of a service-account file, ready to sign JWTs."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError as exc:
        raise base.ProviderConfigurationError(CRYPTOGRAPHY_MISSING) from exc
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise base.ProviderConfigurationError(
            f"the service-account private_key is not a PEM private key: {exc}"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise base.ProviderConfigurationError("the service-account private_key is not an RSA key")
    return key


def sign_jwt(key: Any, claims: Mapping[str, Any], *, key_id: str | None = None) -> str:
    """A compact JWT signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode("utf-8"))
        for part in (header, dict(claims))
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def read_credentials_file(path: str) -> dict[str, Any]:
    """A service-account key or an authorized_user file, checked for what we need."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise base.ProviderConfigurationError(
            f"cannot read Google credentials {path}: {exc}"
        ) from exc
    if not isinstance(info, dict):
        raise base.ProviderConfigurationError(f"Google credentials {path} is not a JSON object")
    needed = {
        "service_account": ("client_email", "private_key"),
        "authorized_user": ("client_id", "client_secret", "refresh_token"),
    }.get(str(info.get("type")))
    if needed is None:
        raise base.ProviderConfigurationError(
            f"Google credentials {path} has type {info.get('type')!r}; a service_account key "
            "or an authorized_user file is needed (or pass an access token)"
        )
    missing = [name for name in needed if not info.get(name)]
    if missing:
        raise base.ProviderConfigurationError(
            f"Google credentials {path} lacks {', '.join(missing)}"
        )
    return info


class VertexProvider(http.HttpProvider):
    """OPTIONS (beside http.HttpProvider's): project, location, dimensions (128, 256, 512 or
    1408; default 1408), access_token, credentials_file, max_batch (inputs per
    ``embed_batch`` call, sent one request each; default 32)."""

    vendor = "vertex"
    default_base_url = f"https://{DEFAULT_LOCATION}-aiplatform.googleapis.com"
    default_model = "multimodalembedding@001"
    api_key_env = None  # OAuth access tokens, not API keys (see access_token)
    max_inputs_per_request = 1
    image_limits = http.ImageLimits(
        max_pixels=MAX_IMAGE_PIXELS,
        max_bytes=MAX_IMAGE_BYTES,
        formats=frozenset({"image/png", "image/jpeg", "image/gif", "image/bmp"}),
    )

    declared_options: ClassVar[Mapping[str, base.Option]] = http.vendor_options(
        model=base.Option(str, choices=MODELS),
        dimensions=base.Option(int, choices=DIMENSIONS),
        project=base.Option(str),
        location=base.Option(str),
        access_token=base.Option(str),
        credentials_file=base.Option(str),
        max_batch=base.Option(int, 32, minimum=1),
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        where = f"EMBEDDING_PROVIDERS[{alias!r}]"
        dimensions = self.options["dimensions"] or DEFAULT_DIMENSIONS
        self.location = str(self.options["location"] or DEFAULT_LOCATION)
        if not re.fullmatch(r"[a-z0-9-]+", self.location):
            raise base.invalid_option(alias, "location", "a Google Cloud region", self.location)
        if not self.options["base_url"]:
            self.base_url = f"https://{self.location}-aiplatform.googleapis.com"
        self.dimensions = dimensions
        self.capabilities = self.hosted_capabilities(dimensions, input_types=False)

        self._static_token = str(
            self.options["access_token"] or os.environ.get("GOOGLE_ACCESS_TOKEN") or ""
        )
        self._credentials_path = str(
            self.options["credentials_file"]
            or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
            or ""
        )
        credentials: dict[str, Any] | None = None
        if self._credentials_path:
            try:
                credentials = read_credentials_file(self._credentials_path)
            except base.ProviderConfigurationError as exc:
                # Only the credentials in use must work: with a token, the file is only
                # a place to find the project in.
                if not self._static_token:
                    raise base.ProviderConfigurationError(f"{where}: {exc}") from exc
        self._credentials = None if self._static_token else credentials
        self._signing_key: Any = None
        if self._credentials is not None and self._credentials["type"] == "service_account":
            if importlib.util.find_spec("cryptography") is None:
                raise base.ProviderConfigurationError(f"{where}: {CRYPTOGRAPHY_MISSING}")
            try:
                self._signing_key = load_signing_key(str(self._credentials["private_key"]))
            except base.ProviderConfigurationError as exc:
                raise base.ProviderConfigurationError(f"{where}: {exc}") from exc
        project = (
            self.options["project"]
            or (credentials or {}).get("project_id")
            or (credentials or {}).get("quota_project_id")
            or os.environ.get("GOOGLE_CLOUD_PROJECT")
        )
        if not project:
            raise base.ProviderConfigurationError(
                f"{where}: no Google Cloud project: set OPTIONS['project'] or "
                "GOOGLE_CLOUD_PROJECT (or use a service-account file with project_id)"
            )
        self.project = str(project)
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = threading.Lock()

    # --- authentication ---------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    def access_token(self) -> str:
        if self._static_token:
            return self._static_token
        if self._credentials is None:
            raise base.PermanentProviderError(
                self.alias,
                "no Google credentials: set OPTIONS['access_token'], GOOGLE_ACCESS_TOKEN or "
                "GOOGLE_APPLICATION_CREDENTIALS",
            )
        with self._token_lock:
            if self._token is None or time.time() >= self._token_expires_at - TOKEN_REFRESH_MARGIN:
                self._token, self._token_expires_at = self._fetch_token(self._credentials)
            return self._token

    def _fetch_token(self, info: Mapping[str, Any]) -> tuple[str, float]:
        """A new access token from the credentials' token endpoint. Timeouts and network
        errors propagate as httpx errors, so the embedding call's retries cover them."""
        token_uri = str(info.get("token_uri") or GOOGLE_TOKEN_URI)
        now = int(time.time())
        if info["type"] == "service_account":
            claims = {
                "iss": info["client_email"],
                "scope": CLOUD_PLATFORM_SCOPE,
                "aud": token_uri,
                "iat": now,
                "exp": now + ASSERTION_LIFETIME,
            }
            form = {
                "grant_type": JWT_BEARER_GRANT,
                "assertion": sign_jwt(
                    self._signing_key, claims, key_id=info.get("private_key_id") or None
                ),
            }
        else:
            form = {
                "grant_type": "refresh_token",
                "client_id": str(info["client_id"]),
                "client_secret": str(info["client_secret"]),
                "refresh_token": str(info["refresh_token"]),
            }
        response = self.client().post(token_uri, data=form, timeout=self.timeout)
        if not response.is_success:
            message = f"{self.vendor} token endpoint HTTP {response.status_code}: " + (
                self._token_error(response)
            )
            if response.status_code in http.RETRYABLE_STATUSES:
                raise base.TransientProviderError(self.alias, message)
            raise base.PermanentProviderError(self.alias, message)
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", ASSERTION_LIFETIME))
        except (ValueError, KeyError, TypeError) as exc:
            raise base.PermanentProviderError(
                self.alias, f"{self.vendor} token endpoint answered in an unexpected shape: {exc}"
            ) from exc
        return token, now + lifetime

    @staticmethod
    def _token_error(response: httpx.Response) -> str:
        """OAuth 2 errors: {"error": "invalid_grant", "error_description": "..."}."""
        try:
            body = response.json()
        except ValueError:
            return response.text[:500]
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            description = body.get("error_description")
            return f"{body['error']}: {description}"[:500] if description else body["error"]
        return str(body)[:500]

    def error_message(self, response: httpx.Response) -> str:
        if response.status_code == 401:
            # A revoked or expired cached token: mint a new one on the next call.
            with self._token_lock:
                self._token = None
        return super().error_message(response)

    def check(self) -> list[checks.CheckMessage]:
        if self._static_token or self._credentials is not None:
            return []
        return [
            checks.Warning(
                f"{self.alias}: no Google credentials",
                hint="set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or "
                "GOOGLE_ACCESS_TOKEN / OPTIONS['access_token'] to an OAuth access token",
                id="embeddings.W030",
                obj=self.alias,
            )
        ]

    # --- the wire format --------------------------------------------------------------------

    def request_for(
        self, inputs: Sequence[base.EmbeddingInput], *, input_type: base.InputType
    ) -> http.HttpRequest:
        # Vertex has no query/document distinction: input_type does not change the request.
        return http.HttpRequest(
            method="POST",
            path=(
                f"/v1/projects/{self.project}/locations/{self.location}"
                f"/publishers/google/models/{self.model}:predict"
            ),
            json={
                "instances": [self._instance(parts) for parts in inputs],
                "parameters": {"dimension": self.dimensions},
            },
        )

    def _instance(self, parts: base.EmbeddingInput) -> dict[str, Any]:
        if len(parts) != 1:  # embed() hands a non-interleaving provider one part per input
            raise base.PermanentProviderError(self.alias, "one part per input expected")
        part = parts[0]
        if isinstance(part, base.TextPart):
            return {"text": fit_text(part.text)}
        return {"image": {"bytesBase64Encoded": part.base64()}}

    def parse(self, body: Any, inputs: Sequence[base.EmbeddingInput]) -> base.EmbeddingResult:
        predictions = body["predictions"]
        if len(predictions) != len(inputs):
            raise ValueError(f"{len(predictions)} predictions for {len(inputs)} instances")
        rows = []
        usage = base.Usage(inputs=len(inputs))
        for parts, prediction in zip(inputs, predictions, strict=True):
            part = parts[0]
            key = "textEmbedding" if isinstance(part, base.TextPart) else "imageEmbedding"
            vector = np.asarray(prediction[key], dtype=np.float32)
            if vector.shape != (self.dimensions,):
                raise ValueError(f"{key} has shape {vector.shape}, expected ({self.dimensions},)")
            rows.append(vector)
            if isinstance(part, base.ImagePart):
                usage.images += 1
                usage.image_pixels += part.pixels()
        return base.EmbeddingResult(
            vectors=np.stack(rows).astype(np.float32, copy=False), usage=usage
        )
