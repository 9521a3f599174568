"""Reads of the gateway: which models it serves, which key a request carries, what a key
has used today."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from embeddings.providers.base import EmbeddingProvider, ProviderError
from embeddings.providers.http import HttpProvider
from embeddings.providers.registry import providers
from gateway.models import GatewayKey, GatewayUsage
from gateway.services import key_sha256

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    alias: str
    provider: EmbeddingProvider
    dimensions: int
    text: bool
    image: bool
    shortening: bool  # may return fewer dimensions (Matryoshka-trained)

    @property
    def modalities(self) -> list[str]:
        return [name for name, on in (("text", self.text), ("image", self.image)) if on]


def served_aliases() -> list[str]:
    """SEARCHAPP_GATEWAY_MODELS, or every configured alias that runs here (not a hosted
    vendor: the gateway serves local models, it is not a proxy)."""
    configured = list(settings.SEARCHAPP_GATEWAY_MODELS)
    if configured:
        return [alias for alias in configured if alias in providers.aliases()]
    return [
        alias for alias in providers.aliases() if not isinstance(providers[alias], HttpProvider)
    ]


def served_model(*, alias: str) -> ServedModel | None:
    """The model behind `alias`, or None when the gateway does not serve it (not served, or
    its files cannot be loaded: reported in the log, not to the client)."""
    if alias not in served_aliases():
        return None
    provider = providers[alias]
    try:
        capabilities = provider.capabilities
    except ProviderError as exc:
        logger.warning("gateway: model %s is unavailable: %s", alias, exc)
        return None
    return ServedModel(
        alias=alias,
        provider=provider,
        dimensions=capabilities.dimensions,
        text=capabilities.text,
        image=capabilities.image,
        shortening=alias in settings.SEARCHAPP_GATEWAY_SHORTENING,
    )


def served_models() -> list[ServedModel]:
    models = (served_model(alias=alias) for alias in served_aliases())
    return [model for model in models if model is not None]


def key_for(*, raw_key: str) -> GatewayKey | None:
    """The active key whose hash matches, or None."""
    if not raw_key:
        return None
    return GatewayKey.objects.filter(key_sha256=key_sha256(raw_key), is_active=True).first()


def key_inputs_today(*, key: GatewayKey) -> int:
    today = timezone.now().date()  # USE_TZ: now() is in UTC, like the usage rows' days
    total = GatewayUsage.objects.filter(key=key, day=today).aggregate(
        inputs=Coalesce(Sum("inputs"), 0)
    )["inputs"]
    return int(total)
