"""The values that pass between the search stages."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog.models import Item

if TYPE_CHECKING:
    from search.facets import Facets


class SearchMode(enum.StrEnum):
    HYBRID = "hybrid"
    SEMANTIC = "semantic"
    LEXICAL = "lexical"


class SortOrder(enum.StrEnum):
    RELEVANCE = "relevance"
    PRICE = "price"
    PRICE_DESC = "-price"
    NEWEST = "newest"
    TITLE = "title"


class Matched(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"


class ListKind(enum.StrEnum):
    LEXICAL = "lexical"
    SEMANTIC = "semantic"
    IDENTIFIER = "identifier"  # exact identifier matches: pinned first, never fused


@dataclass(frozen=True)
class Ranked:
    """One item in one ranked list, with that list's own score (cosine similarity for a
    vector list, the lexical rank for the lexical list)."""

    item_id: int
    score: float
    matched: Matched = Matched.TEXT


@dataclass(frozen=True)
class RankedList:
    """What one retriever found, best first, one entry per item."""

    name: str  # "lexical", or the space's name
    kind: ListKind
    entries: list[Ranked]


@dataclass(frozen=True)
class Fused:
    """One item after fusion: its fused score, the source that matched it best in the
    semantic lists, and its best cosine similarity there (None when no vector list had it)."""

    item_id: int
    score: float
    matched: Matched
    similarity: float | None
    pinned: bool = False  # placed by a query rule


@dataclass(frozen=True)
class FiredRule:
    id: int
    name: str


@dataclass(frozen=True)
class Pin:
    item_id: int
    position: int  # 1-based, in the final order


@dataclass(frozen=True)
class Boost:
    """Multiply the fused score of the items that match (one of item, category,
    attribute) by ``factor``: above 1 boosts, below 1 buries."""

    factor: float
    item_id: int | None = None
    category: str | None = None
    attribute: tuple[str, str] | None = None


@dataclass(frozen=True)
class Curation:
    """What the fired query rules ask of the post stage."""

    rules: tuple[FiredRule, ...] = ()
    pins: tuple[Pin, ...] = ()
    hide: frozenset[int] = frozenset()
    boosts: tuple[Boost, ...] = ()


@dataclass(frozen=True)
class Page:
    """The post-processed results: the items of the page asked for, and how many there are
    in all."""

    entries: list[Fused]
    total: int


@dataclass(frozen=True)
class Skipped:
    part: str  # a space name, "semantic" or "lexical"
    reason: str


@dataclass(frozen=True)
class SearchHit:
    item: Item
    score: float
    matched: str  # "text" or "image": the source that matched best
    similarity: float | None  # best cosine similarity over the spaces, when semantic
    pinned: bool = False  # placed at its position by a query rule


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    mode: SearchMode  # the mode that answered (lexical after a fallback)
    skipped: list[Skipped]
    total: int  # ranked results available (up to the search depth), after the score floor
    page: int
    k: int
    took_ms: float
    spaces: list[str]  # the spaces that answered
    did_you_mean: str | None = None  # a respelling of the query, when it found little
    profile: str = "default"  # the fusion profile that ranked the results
    facets: Facets | None = None  # counts over the relevant set
    sort: SortOrder = SortOrder.RELEVANCE
    cutoff: float | None = None  # the share of the best score the relevant set kept
    rules: tuple[FiredRule, ...] = ()  # the query rules that fired, in order

    @property
    def has_next(self) -> bool:
        return self.page * self.k < self.total
