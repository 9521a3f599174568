"""What a search asks for: the parse stage's output and every later stage's input."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from catalog.filters import ItemFilter
from search.types import SearchMode, SortOrder
from searchapp.images import ValidatedImage


class UnknownItem(LookupError):
    """ "More like this" named an item that does not exist or that the caller may not see."""


# The one place for what makes a query searchable; the parse stage's serializer and the
# service both use these.
NOTHING_TO_SEARCH = "Give something to search for: text, an image, or an item_id (more like this)."
LEXICAL_NEEDS_TEXT = "Lexical search needs text."
_NOT_WORD = re.compile(r"[\W_]+")


def query_normalise(text: str) -> str:
    """A query as rules, synonyms and analytics compare it: lower case, accents kept,
    punctuation as spaces, spaces collapsed ("  T-Shirt,  Blue!" -> "t shirt blue")."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    text_weight: float = 1.0
    negative_text: str = ""
    negative_weight: float = 0.5  # how hard negative text pushes results away
    image: ValidatedImage | None = None
    image_weight: float = 1.0
    item_id: int | None = None  # "more like this"
    item_weight: float = 1.0
    mode: SearchMode = SearchMode.HYBRID
    item_filter: ItemFilter = field(default_factory=ItemFilter)
    k: int = 24  # results per page
    page: int = 1
    min_score_ratio: float | None = None  # hide results scoring below this share of the best
    sort: SortOrder = SortOrder.RELEVANCE
    # The relevant set: None for the configured cutoff, 0 for none, else the share of the best
    # score a result needs (semantic and hybrid; lexical results keep every match).
    cutoff: float | None = None
    facets: bool = True  # count facets over the relevant set
    # Set by the rewrite stage: other phrasings of ``text`` (synonyms) that the lexical lists
    # also match, and the text the vector lists embed when synonyms widen it ("" for text).
    expansions: tuple[str, ...] = ()
    semantic_text: str = ""

    @property
    def has_semantic_parts(self) -> bool:
        return bool(self.text or self.image is not None or self.item_id is not None)

    @property
    def candidates_filter(self) -> ItemFilter:
        """The filter every list retrieves under: "more like this" leaves its item out."""
        if self.item_id is None:
            return self.item_filter
        return dataclasses.replace(self.item_filter, exclude_item_id=self.item_id)

    @property
    def relevance_filter(self) -> ItemFilter:
        """What the relevant set is retrieved under: the candidates filter without the facet
        filters (categories, prices, attributes), which then apply to the relevant set."""
        return dataclasses.replace(
            self.candidates_filter, categories=(), price_min=None, price_max=None, attributes=()
        )

    def problem(self) -> tuple[str | None, str] | None:
        """Why this query cannot be searched, as (field or None, message), or None."""
        if not self.has_semantic_parts:
            return None, NOTHING_TO_SEARCH
        if self.mode == SearchMode.LEXICAL and not self.text:
            return "text", LEXICAL_NEEDS_TEXT
        return None
