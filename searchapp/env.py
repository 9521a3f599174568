"""Typed helpers that read settings from the environment (paperless-ngx `settings/parsers.py`)."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from exc
    if not math.isfinite(value):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number")
    return value


def env_floats(
    name: str, default: dict[str, float], *, open_names: bool = False
) -> dict[str, float]:
    """Named numbers, ``title=3,description=1``: names must be among the default's (unless
    ``open_names``); the ones not given keep their default."""
    values = dict(default)
    for part in env_list(name, []):
        key, _, raw = part.partition("=")
        key = key.strip()
        if key not in default and not open_names:
            raise ImproperlyConfigured(f"{name}: unknown name {key!r}; known: {', '.join(default)}")
        try:
            values[key] = float(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {part!r} is not name=number") from exc
    return values


def env_choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip() or default
    if value not in allowed:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(allowed)}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_networks(name: str) -> list[str]:
    """A comma list of IP networks (CIDR; a bare address is a network of one), normalised."""
    networks = []
    for part in env_list(name, []):
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {part!r} is not an IP network ({exc})") from exc
    return networks


def database_from_url(url: str, setting: str = "DATABASE_URL") -> dict[str, Any]:
    """postgres://user:password@host:port/name?sslmode=require -> Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"{setting}: expected a postgres:// URL (PostgreSQL with pgvector), got {parts.scheme!r}"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = unquote(parts.hostname or "") or query.pop("host", "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }


ONNX_BACKEND = "embeddings.providers.onnx.OnnxProvider"
# What a newcomer gets online: downloaded once from the Hugging Face hub on first use.
DEFAULT_EMBEDDING_PROVIDERS: dict[str, dict[str, Any]] = {
    "clip": {"BACKEND": ONNX_BACKEND, "OPTIONS": {"repo_id": "Xenova/clip-vit-base-patch32"}},
    "minilm": {
        "BACKEND": ONNX_BACKEND,
        "OPTIONS": {"repo_id": "sentence-transformers/all-MiniLM-L6-v2", "variant": ""},
    },
}


def embedding_providers_from_env() -> dict[str, dict[str, Any]]:
    """SEARCHAPP_EMBEDDING_PROVIDERS (JSON) wins; else every model folder (Hugging Face
    ONNX layout) under SEARCHAPP_MODEL_DIR becomes an `onnx` alias named after the folder;
    else the hub defaults."""
    raw = os.environ.get("SEARCHAPP_EMBEDDING_PROVIDERS")
    if raw:
        try:
            configured = json.loads(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"SEARCHAPP_EMBEDDING_PROVIDERS is not JSON: {exc}") from exc
        if not isinstance(configured, dict):
            raise ImproperlyConfigured("SEARCHAPP_EMBEDDING_PROVIDERS must be a JSON object")
        return configured
    model_dir = os.environ.get("SEARCHAPP_MODEL_DIR")
    if not model_dir:
        return DEFAULT_EMBEDDING_PROVIDERS
    root = Path(model_dir)
    if not root.is_dir():
        raise ImproperlyConfigured(f"SEARCHAPP_MODEL_DIR={model_dir!r} is not a folder")
    folders = (
        [root]
        if (root / "onnx").is_dir()
        else sorted(p for p in root.iterdir() if (p / "onnx").is_dir())
    )
    if not folders:
        raise ImproperlyConfigured(
            f"SEARCHAPP_MODEL_DIR={model_dir!r} holds no model folder (expected <name>/onnx/*.onnx)"
        )
    return {
        re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-"): {
            "BACKEND": ONNX_BACKEND,
            "OPTIONS": {"path": str(folder.resolve())},
        }
        for folder in folders
    }
