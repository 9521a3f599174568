"""EMBEDDING_PROVIDERS: alias -> {"BACKEND": dotted path, "OPTIONS": {...}}, like CACHES.

One instance per alias per process, built on first use; ``providers.reset()`` runs on
``setting_changed`` so ``override_settings`` works in tests.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from embeddings.providers.base import EmbeddingProvider, ProviderConfigurationError


class ProviderHandler:
    def __init__(self) -> None:
        self._instances: dict[str, EmbeddingProvider] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> dict[str, dict[str, Any]]:
        return dict(getattr(settings, "EMBEDDING_PROVIDERS", {}))

    def aliases(self) -> list[str]:
        return list(self.configured)

    def __getitem__(self, alias: str) -> EmbeddingProvider:
        instance = self._instances.get(alias)
        if instance is not None:
            return instance
        with self._lock:
            if alias not in self._instances:
                self._instances[alias] = self.create(alias)
            return self._instances[alias]

    def create(self, alias: str) -> EmbeddingProvider:
        config = self.configured.get(alias)
        if config is None:
            known = ", ".join(self.configured) or "none"
            raise ProviderConfigurationError(
                f"No embedding provider {alias!r} in EMBEDDING_PROVIDERS (configured: {known})."
            )
        backend = config.get("BACKEND")
        if not backend:
            raise ProviderConfigurationError(f"EMBEDDING_PROVIDERS[{alias!r}] has no BACKEND.")
        try:
            provider_class = import_string(backend)
        except ImportError as exc:
            raise ProviderConfigurationError(
                f"EMBEDDING_PROVIDERS[{alias!r}]: cannot import BACKEND {backend!r}: {exc}"
            ) from exc
        if not (isinstance(provider_class, type) and issubclass(provider_class, EmbeddingProvider)):
            raise ProviderConfigurationError(
                f"EMBEDDING_PROVIDERS[{alias!r}]: {backend} is not an EmbeddingProvider."
            )
        instance: EmbeddingProvider = provider_class(alias, config.get("OPTIONS", {}))
        return instance

    def reset(self) -> None:
        with self._lock:
            self._instances.clear()


providers = ProviderHandler()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "EMBEDDING_PROVIDERS":
        providers.reset()
