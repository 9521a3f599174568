"""`manage.py check` validates every configured embedding provider."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from embeddings.providers.registry import providers


@checks.register("embeddings")
def check_embedding_providers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for alias in providers.aliases():
        try:
            provider = providers.create(alias)
        except ImproperlyConfigured as exc:
            messages.append(checks.Error(str(exc), id="embeddings.E001", obj=alias))
            continue
        dimensions = provider.options.get("dimensions")
        reported = provider.check()
        messages.extend(reported)
        # Only compare dimensions when the model is here: reading them must not download it.
        if dimensions is not None and not reported:
            try:
                actual = provider.capabilities.dimensions
            except Exception as exc:  # a broken model folder is reported, not raised
                messages.append(checks.Error(f"{alias}: {exc}", id="embeddings.E002", obj=alias))
                continue
            if int(dimensions) != actual:
                messages.append(checks.Error(
                    f"{alias}: OPTIONS['dimensions'] is {dimensions} but the model makes {actual}-d vectors",
                    id="embeddings.E003", obj=alias,
                ))  # fmt: skip
    return messages
