"""The one place evaluation calls search. Everything in relevance asks `ranked_external_ids`
for a judged query's ranking, so pointing evaluation at another search entry point (search
profiles, new stages) means changing this module only."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from catalog.filters import ItemFilter
from catalog.images import ValidatedImage, image_from_bytes
from relevance.models import JudgedQuery
from search.query import SearchQuery
from search.service import item_search
from search.types import SearchMode

MODES = tuple(mode.value for mode in SearchMode)
DEFAULT_DEPTH = 100  # enough for recall@100
PAGE_SIZE = 100  # the most results search gives in one page


class ConfigurationError(Exception):
    """A configuration that this search cannot run."""


@dataclass(frozen=True)
class Configuration:
    """How to search: the mode, and the search profile by name (None: the default one). The
    profile is passed through as an opaque name; see `ranked_external_ids`."""

    mode: str = SearchMode.HYBRID.value
    profile: str | None = None

    @property
    def label(self) -> str:
        return self.mode if self.profile is None else f"{self.mode}/{self.profile}"


def _filters(filters: dict[str, Any]) -> ItemFilter:
    """The judged query's filters (checked on import: formats.filters_problem) for search."""
    price_min, price_max = filters.get("price_min"), filters.get("price_max")
    return ItemFilter(
        categories=tuple(filters.get("categories", ())),
        price_min=None if price_min is None else Decimal(str(price_min)),
        price_max=None if price_max is None else Decimal(str(price_max)),
        attributes=tuple(sorted(dict(filters.get("attributes", {})).items())),
    )


def _image(judged_query: JudgedQuery) -> ValidatedImage | None:
    if not judged_query.image:
        return None
    with judged_query.image.open("rb") as file:
        return image_from_bytes(file.read())


def ranked_external_ids(
    judged_query: JudgedQuery, config: Configuration, *, depth: int = DEFAULT_DEPTH
) -> list[str]:
    """The external ids of the first `depth` results of searching `judged_query` (its text,
    image and filters) under `config`, best first."""
    if config.mode not in MODES:
        raise ConfigurationError(f"unknown mode {config.mode!r} (one of {', '.join(MODES)})")
    if config.profile is not None:
        # Today's search has no stored profiles; the search refactor adds them and this is
        # where the name is handed over.
        raise ConfigurationError(
            f"search profile {config.profile!r}: this search has no profiles yet"
        )
    query = SearchQuery(
        text=judged_query.text,
        image=_image(judged_query),
        mode=SearchMode(config.mode),
        item_filter=_filters(judged_query.filters),
        k=min(PAGE_SIZE, depth),
    )
    if query.problem() is not None:
        return []  # e.g. an image-only query in lexical mode: nothing to rank, scores 0
    ranked: list[str] = []
    while len(ranked) < depth:
        results = item_search(query=query)
        ranked.extend(hit.item.external_id for hit in results.hits)
        if not results.has_next or not results.hits:
            break
        query = dataclasses.replace(query, page=query.page + 1)
    return ranked[:depth]
