"""Suggestions while typing: completed queries, matching categories and the top items by title,
typo tolerant on the prefix. Every read is one indexed query (the trigram index on the
lower-cased title serves both the LIKE prefix match and the fuzzy fallback); the category
counts are cached for a minute.

Completed queries come first from the registered completion sources (analytics: popular
past searches that found results), then from the titles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch

from catalog.models import Item, ItemImage
from search.lexical import corpus_cache
from search.signals import completion_sources
from searchapp.db import read_alias, read_connection

MIN_PREFIX = 2
MAX_PREFIX = 100
_WORD = re.compile(r"\w[\w'-]*")


@dataclass(frozen=True)
class CategorySuggestion:
    value: str
    count: int


@dataclass(frozen=True)
class Suggestions:
    query: str
    queries: list[str] = field(default_factory=list)
    categories: list[CategorySuggestion] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _titles(prefix: str, limit: int) -> list[tuple[int, str]]:
    """Active items whose title has a word starting with the prefix (a title starting with it
    first, then shorter titles), else the closest titles by trigram word similarity."""
    starts, inside = f"{_like(prefix)}%", f"% {_like(prefix)}%"
    with transaction.atomic(using=read_alias()), read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT id, title FROM catalog_item WHERE is_active AND "
            "(lower(title) LIKE %s OR lower(title) LIKE %s) "
            "ORDER BY lower(title) LIKE %s DESC, length(title), id LIMIT %s",
            [starts, inside, starts, limit],
        )
        rows = cursor.fetchall()
        if rows:
            return rows
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(settings.SEARCHAPP_TRIGRAM_THRESHOLD)],
        )
        cursor.execute(
            "SELECT id, title FROM catalog_item WHERE is_active AND %s <%% lower(title) "
            "ORDER BY word_similarity(%s, lower(title)) DESC, length(title), id LIMIT %s",
            [prefix, prefix, limit],
        )
        return cursor.fetchall()


def _completions(prefix: str, titles: list[str], limit: int) -> list[str]:
    """The prefix with its last word completed from the titles' words ("learning pyth" ->
    "learning python"); a misspelt last word is completed by the closest title word."""
    *head, last = prefix.split()
    found: list[str] = []
    for title in titles:
        words = [word.lower() for word in _WORD.findall(title)]
        completed = [word for word in words if word.startswith(last) and word != last]
        if not completed:
            completed = [word for word in words if _close(last, word)]
        found.extend(" ".join([*head, word]) for word in completed[:1])
    return list(dict.fromkeys(found))[:limit]


def _close(typed: str, word: str) -> bool:
    """Whether a title word could be what a misspelt prefix meant: its start shares most
    letters with what was typed."""
    start = word[: len(typed) + 1]
    common = sum(1 for letter in set(typed) if letter in start)
    return len(typed) >= 3 and common >= len(set(typed)) - 1 and word[0] == typed[0]


def _categories(prefix: str, limit: int) -> list[CategorySuggestion]:
    def count() -> list[tuple[str, int]]:
        with read_connection().cursor() as cursor:
            cursor.execute(
                "SELECT category, count(*) FROM catalog_item WHERE is_active AND category <> '' "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            )
            return [(name, int(n)) for name, n in cursor.fetchall()]

    categories = corpus_cache.get_or_set(("categories",), count)
    matching = [
        CategorySuggestion(name, n)
        for name, n in categories
        if any(word.startswith(prefix.split()[-1]) for word in name.lower().split())
        or prefix in name.lower()
    ]
    return matching[:limit]


def suggestions(text: str, *, limit: int = 5) -> Suggestions:
    prefix = " ".join(text.lower().split())[:MAX_PREFIX]
    if len(prefix) < MIN_PREFIX:
        return Suggestions(query=prefix)
    rows = _titles(prefix, limit)
    images = Prefetch("images", queryset=ItemImage.objects.order_by("position", "id"))
    by_id = (
        Item.objects.defer("search_vector").prefetch_related(images).in_bulk([r[0] for r in rows])
    )
    popular = [q for source in completion_sources for q in source(prefix, limit)]
    completions = list(
        dict.fromkeys([*popular, *_completions(prefix, [t for _, t in rows], limit)])
    )
    return Suggestions(
        query=prefix,
        queries=completions[:limit],
        categories=_categories(prefix, limit),
        items=[by_id[item_id] for item_id, _ in rows if item_id in by_id],
    )
