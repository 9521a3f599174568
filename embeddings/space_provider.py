"""A space's provider: the one way ingest and queries embed for a space.

The provider is looked up by the space's alias and refused when the alias now names another
model than the one that made the space's vectors (vectors of two models are never mixed in
one space); every call's usage is recorded per alias and day.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection

from embeddings.models import LIVE_STATUSES, EmbeddingSpace, ProviderUsage
from embeddings.providers.base import (
    EmbeddingInput,
    EmbeddingProvider,
    EmbeddingResult,
    InputType,
    ProviderError,
    Usage,
)
from embeddings.providers.registry import providers

logger = logging.getLogger(__name__)


class SpaceModelChangedError(ProviderError):
    """The space's alias now configures another model than the one that made its vectors."""

    def __init__(self, *, space: EmbeddingSpace, configured_model: str) -> None:
        super().__init__(
            space.provider_alias,
            f"space {space.name!r} holds vectors of model {space.model_name!r}, but "
            f"EMBEDDING_PROVIDERS[{space.provider_alias!r}] now configures {configured_model!r}. "
            "Restore the configuration, or embed into a new space "
            f"(create_space NEW --provider {space.provider_alias} --replace {space.name}).",
        )
        self.space_name = space.name
        self.stored_model = space.model_name
        self.configured_model = configured_model


def space_provider(space: EmbeddingSpace) -> EmbeddingProvider:
    """The provider that embeds for this space, as long as it still makes the space's model."""
    provider = providers[space.provider_alias]
    configured = provider.model_name
    if configured != space.model_name:
        raise SpaceModelChangedError(space=space, configured_model=configured)
    return provider


def space_embed(
    *, space: EmbeddingSpace, inputs: Sequence[EmbeddingInput], input_type: InputType
) -> EmbeddingResult:
    """Embed inputs with the space's provider and record what the call used."""
    result = space_provider(space).embed(inputs, input_type=input_type)
    provider_usage_record(alias=space.provider_alias, usage=result.usage)
    return result


def provider_usage_record(*, alias: str, usage: Usage) -> None:
    """Add one call's usage to the alias's row for today (UTC), atomically."""
    if not (usage.requests or usage.inputs):
        return
    table = ProviderUsage._meta.db_table
    counters = ("requests", "inputs", "text_tokens", "images", "image_pixels")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (alias, day, {', '.join(counters)}) "  # noqa: S608 - fixed names
            f"VALUES (%s, (now() AT TIME ZONE 'UTC')::date, {', '.join(['%s'] * len(counters))}) "
            f"ON CONFLICT (alias, day) DO UPDATE SET "
            + ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in counters),
            [alias, *(getattr(usage, name) for name in counters)],
        )


def providers_warm() -> list[str]:
    """Load the providers of every live space now (worker start). A provider that cannot
    load is logged and left for the work itself to report."""
    warmed = []
    aliases = EmbeddingSpace.objects.filter(status__in=LIVE_STATUSES).values_list(
        "provider_alias", flat=True
    )
    for alias in sorted(set(aliases)):
        try:
            providers[alias].warm()
        except Exception:  # a missing model is reported per item, not at start-up
            logger.warning("could not warm provider %s", alias, exc_info=True)
            continue
        warmed.append(alias)
    return warmed
