"""The rewrite stage: a query in, the query to run out, with what the query rules ask of
the post stage (pins, hidden items, boosts).

- Query rules are matched against the shopper's normalised query (`query_normalise`), in
  ``position`` order, when active, within their time window and their category context; a
  rule may replace the text, set filters, and pin, hide, boost or bury items.
- Synonym groups then give other phrasings of the (possibly replaced) text: each matched
  term, on word boundaries, swapped for its synonyms (at most ``MAX_EXPANSIONS``), which the
  lexical lists match too; groups marked ``expand_semantic`` also widen the embedded text.

Rules and synonyms are compiled once into a `CurationSet` per process and reused until a
save or delete in this process, or a change seen by the version check (at most every
``REFRESH_SECONDS``): no query per rule, a dictionary lookup per query word."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from catalog.filters import ItemFilter
from search.query import SearchQuery, query_normalise
from search.types import Boost, Curation, FiredRule, Pin
from searchapp.db import read_connection

if TYPE_CHECKING:
    from search.models import QueryRule

MAX_EXPANSIONS = 5
REFRESH_SECONDS = 2.0
Phrase = tuple[str, ...]


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    position: int
    match: str
    words: Phrase
    categories: frozenset[str]
    starts_at: datetime | None
    ends_at: datetime | None
    pins: tuple[Pin, ...]
    hide: frozenset[int]
    boosts: tuple[Boost, ...]
    filters: dict[str, Any] | None  # validated, as SearchFiltersSerializer gives them
    replace_query: str

    def matches(self, words: Phrase, categories: tuple[str, ...], now: datetime) -> bool:
        if self.starts_at is not None and now < self.starts_at:
            return False
        if self.ends_at is not None and now >= self.ends_at:
            return False
        if self.categories and not self.categories.intersection(categories):
            return False
        if self.match == "equals":
            return words == self.words
        if self.match == "contains":
            return set(self.words) <= set(words)
        return _phrase_at(words, self.words) is not None


def _phrase_at(words: Phrase, phrase: Phrase, start: int = 0) -> int | None:
    size = len(phrase)
    for index in range(start, len(words) - size + 1):
        if words[index : index + size] == phrase:
            return index
    return None


@dataclass
class CurationSet:
    """Active rules and synonyms, indexed for matching a query."""

    rules_equal: dict[Phrase, list[CompiledRule]] = field(default_factory=dict)
    rules_by_word: dict[str, list[CompiledRule]] = field(default_factory=dict)
    # a phrase -> its replacements, each with whether it also widens the semantic text
    synonyms: dict[Phrase, list[tuple[Phrase, bool]]] = field(default_factory=dict)
    synonyms_by_word: dict[str, list[Phrase]] = field(default_factory=dict)

    def add_rule(self, rule: CompiledRule) -> None:
        if rule.match == "equals":
            self.rules_equal.setdefault(rule.words, []).append(rule)
        elif rule.words:
            self.rules_by_word.setdefault(rule.words[0], []).append(rule)

    def add_synonym(self, phrase: Phrase, replacement: Phrase, semantic: bool) -> None:
        if not phrase or not replacement or phrase == replacement:
            return
        if phrase not in self.synonyms:
            self.synonyms[phrase] = []
            self.synonyms_by_word.setdefault(phrase[0], []).append(phrase)
        self.synonyms[phrase].append((replacement, semantic))

    def rules_matching(
        self, words: Phrase, categories: tuple[str, ...], now: datetime
    ) -> list[CompiledRule]:
        candidates = list(self.rules_equal.get(words, []))
        for word in dict.fromkeys(words):
            candidates.extend(self.rules_by_word.get(word, []))
        fired = [rule for rule in candidates if rule.matches(words, categories, now)]
        return sorted(fired, key=lambda rule: (rule.position, rule.id))

    def expansions(self, words: Phrase) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(other phrasings of the words, the words the semantic text gains)."""
        variants: dict[str, None] = {}
        semantic: dict[str, None] = {}
        original = " ".join(words)
        for index, word in enumerate(words):
            for phrase in self.synonyms_by_word.get(word, []):
                if words[index : index + len(phrase)] != phrase:
                    continue
                for replacement, widens in self.synonyms[phrase]:
                    variant = " ".join(words[:index] + replacement + words[index + len(phrase) :])
                    if variant != original and len(variants) < MAX_EXPANSIONS:
                        variants[variant] = None
                    if widens:
                        semantic[" ".join(replacement)] = None
        return tuple(variants), tuple(semantic)[:MAX_EXPANSIONS]


def curation_load(rules: list[QueryRule] | None = None) -> CurationSet:
    """Compile the active synonym groups and ``rules`` (default: the active rules), in a
    few queries."""
    from search.curation import BOOST_TARGETS
    from search.models import QueryRule, SynonymGroup
    from search.parse import SearchFiltersSerializer

    loaded = CurationSet()
    for group in SynonymGroup.objects.filter(is_active=True).order_by("id"):
        terms = [tuple(term.split()) for term in group.terms]
        if group.kind == SynonymGroup.Kind.ONE_WAY:
            for term in terms:
                loaded.add_synonym(tuple(group.source.split()), term, group.expand_semantic)
            continue
        for term in terms:
            for other in terms:
                loaded.add_synonym(term, other, group.expand_semantic)
    if rules is None:
        rules = list(QueryRule.objects.filter(is_active=True).order_by("position", "id"))
    named: set[str] = set()
    for rule in rules:
        named.update(pin["item"] for pin in rule.pins)
        named.update(rule.hide)
        named.update(boost["item"] for boost in rule.boosts if "item" in boost)
    ids = _item_ids(named)
    for rule in rules:
        filters = None
        if rule.filters:
            serializer = SearchFiltersSerializer(data=rule.filters, context={"typed": True})
            filters = dict(serializer.validated_data) if serializer.is_valid() else None
        boosts = []
        for boost in rule.boosts:
            target = next(key for key in boost if key in BOOST_TARGETS)
            value = boost[target]
            if target == "item" and value not in ids:
                continue
            boosts.append(
                Boost(
                    factor=float(boost["factor"]),
                    item_id=ids[value] if target == "item" else None,
                    category=value if target == "category" else None,
                    attribute=next(iter(value.items())) if target == "attribute" else None,
                )
            )
        loaded.add_rule(
            CompiledRule(
                id=rule.pk,
                name=rule.name,
                position=rule.position,
                match=rule.match,
                words=tuple(rule.condition.split()),
                categories=frozenset(rule.categories),
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                pins=tuple(
                    Pin(ids[pin["item"]], pin["position"])
                    for pin in rule.pins
                    if pin["item"] in ids
                ),  # fmt: skip
                hide=frozenset(ids[external_id] for external_id in rule.hide if external_id in ids),
                boosts=tuple(boosts),
                filters=filters,
                replace_query=rule.replace_query,
            )
        )
    return loaded


def _item_ids(external_ids: set[str]) -> dict[str, int]:
    from catalog.models import Item

    if not external_ids:
        return {}
    rows = Item.objects.filter(external_id__in=external_ids).values_list("external_id", "pk")
    return dict(rows)


def _version() -> tuple[Any, ...]:
    with read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM search_synonymgroup), "
            "(SELECT max(updated_at) FROM search_synonymgroup), "
            "(SELECT count(*) FROM search_queryrule), (SELECT max(updated_at) FROM search_queryrule)"
        )
        return tuple(cursor.fetchone())


class _CurationCache:
    """One compiled `CurationSet` per process, checked against the tables' version (counts
    and last change) at most every ``REFRESH_SECONDS``; ``clear`` forgets it at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: CurationSet | None = None
        self._version: tuple[Any, ...] | None = None
        self._checked = 0.0

    def get(self) -> CurationSet:
        now = time.monotonic()
        with self._lock:
            if self._loaded is not None and now - self._checked < REFRESH_SECONDS:
                return self._loaded
        version = _version()
        with self._lock:
            if self._loaded is not None and version == self._version:
                self._checked = now
                return self._loaded
        loaded = curation_load()
        with self._lock:
            self._loaded, self._version, self._checked = loaded, version, now
        return loaded

    def clear(self) -> None:
        with self._lock:
            self._loaded, self._version = None, None


curation_cache = _CurationCache()


@dataclass(frozen=True)
class Rewritten:
    query: SearchQuery
    curation: Curation


def _filter_with(item_filter: ItemFilter, data: dict[str, Any]) -> ItemFilter:
    """The query's filter with the rule's: each filter the rule names replaces the
    shopper's (categories, price bounds, each attribute's values)."""
    from search.parse import filter_from_data

    ruled = filter_from_data(data, include_inactive=item_filter.include_inactive)
    keys = {key for key, _ in ruled.attributes}
    return dataclasses.replace(
        item_filter,
        categories=ruled.categories or item_filter.categories,
        price_min=ruled.price_min if ruled.price_min is not None else item_filter.price_min,
        price_max=ruled.price_max if ruled.price_max is not None else item_filter.price_max,
        attributes=tuple(pair for pair in item_filter.attributes if pair[0] not in keys)
        + ruled.attributes,
    )


def query_rewrite(query: SearchQuery, curation: CurationSet | None = None) -> Rewritten:
    """Apply the query rules, then the synonyms (``curation``: the active ones by default)."""
    if not query.text:
        return Rewritten(query, Curation())
    active = curation if curation is not None else curation_cache.get()
    words = tuple(query_normalise(query.text).split())
    fired = active.rules_matching(words, query.item_filter.categories, timezone.now())
    text, item_filter = query.text, query.item_filter
    hide: set[int] = set()
    pins: list[Pin] = []
    boosts: list[Boost] = []
    for rule in fired:
        text = rule.replace_query or text
        if rule.filters:
            item_filter = _filter_with(item_filter, rule.filters)
        pins.extend(rule.pins)
        hide.update(rule.hide)
        boosts.extend(rule.boosts)
    expansions, semantic = active.expansions(tuple(query_normalise(text).split()))
    rewritten = dataclasses.replace(
        query,
        text=text,
        item_filter=item_filter,
        expansions=expansions,
        semantic_text=" ".join([text, *semantic]) if semantic else "",
    )
    used = Curation(
        rules=tuple(FiredRule(rule.id, rule.name) for rule in fired),
        pins=tuple(pins),
        hide=frozenset(hide),
        boosts=tuple(boosts),
    )
    return Rewritten(rewritten, used)


__all__ = ["CurationSet", "Rewritten", "curation_cache", "curation_load", "query_rewrite"]
