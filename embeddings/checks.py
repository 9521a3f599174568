"""`manage.py check` validates every configured embedding provider, and warns when the
database server's settings cannot hold the active spaces' HNSW indexes."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction

from embeddings.prewarm import active_index_sizes, memory_advice, server_memory
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


# One id per setting, so one can be silenced (SILENCED_SYSTEM_CHECKS) without the others.
MEMORY_CHECK_IDS = {
    "shared_buffers": "embeddings.W010",
    "effective_cache_size": "embeddings.W011",
    "maintenance_work_mem": "embeddings.W012",
    "jit": "embeddings.W013",
}


@checks.register("embeddings")
def check_database_memory(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Any server, external ones included. Silent when the database cannot be read (not
    reachable, not migrated yet): checks also run where there is no database."""
    try:
        # A savepoint: a failed read must not break a transaction the caller holds.
        with transaction.atomic():
            server = server_memory()
            indexes = active_index_sizes()
    except DatabaseError:
        return []
    return [
        checks.Warning(advice.message, id=MEMORY_CHECK_IDS[advice.setting], obj="database")
        for advice in memory_advice(indexes=indexes, server=server)
    ]
