"""The one place evaluation calls search. Everything in relevance asks `ranked_external_ids`
for a judged query's ranking, so pointing evaluation at another search entry point (search
profiles, new stages) means changing this module only."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from catalog.filters import ItemFilter
from relevance.models import JudgedQuery
from search.profiles import UnknownProfile, profile_named
from search.query import SearchQuery
from search.service import item_search
from search.types import SearchMode
from searchapp.images import ValidatedImage, image_from_bytes

MODES = tuple(mode.value for mode in SearchMode)
DEFAULT_DEPTH = 100  # enough for recall@100
PAGE_SIZE = 100  # the most results search gives in one page


class ConfigurationError(Exception):
    """A configuration that this search cannot run."""


@dataclass(frozen=True)
class Configuration:
    """How to search: the mode, and the search profile by name (None: the active one;
    ``default``: the settings' fusion; ``NAME`` or ``NAME@vN``: a stored version)."""

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


def judged_search_query(judged_query: JudgedQuery, mode: SearchMode, *, k: int) -> SearchQuery:
    """The search a judged query stands for: its text, image and filters."""
    return SearchQuery(
        text=judged_query.text,
        image=_image(judged_query),
        mode=mode,
        item_filter=_filters(judged_query.filters),
        k=k,
        cutoff=0,  # rankings are measured to depth 100; the relevant set is measured apart
        facets=False,
    )


def ranked_external_ids(
    judged_query: JudgedQuery, config: Configuration, *, depth: int = DEFAULT_DEPTH
) -> list[str]:
    """The external ids of the first `depth` results of searching `judged_query` (its text,
    image and filters) under `config`, best first."""
    if config.mode not in MODES:
        raise ConfigurationError(f"unknown mode {config.mode!r} (one of {', '.join(MODES)})")
    try:
        profile = None if config.profile is None else profile_named(config.profile)
    except UnknownProfile as exc:
        raise ConfigurationError(str(exc)) from exc
    query = judged_search_query(judged_query, SearchMode(config.mode), k=min(PAGE_SIZE, depth))
    if query.problem() is not None:
        return []  # e.g. an image-only query in lexical mode: nothing to rank, scores 0
    ranked: list[str] = []
    while len(ranked) < depth:
        results = item_search(query=query, profile=profile)
        ranked.extend(hit.item.external_id for hit in results.hits)
        if not results.has_next or not results.hits:
            break
        query = dataclasses.replace(query, page=query.page + 1)
    return ranked[:depth]
