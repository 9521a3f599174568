"""The lexical lists: BM25 over each item's weighted document, exact identifiers, and fuzzy
titles for misspelled queries (with a "did you mean" for the words nothing knows).

BM25F (Robertson & Zaragoza, "The Probabilistic Relevance Framework"): a term's frequency and
a document's length are the field-weighted sums over title, category, attribute values and
description (``SEARCHAPP_BM25_FIELD_WEIGHTS``), then

    score(d, q) = sum over query terms t of  idf(t) * tf(t, d) * (k1 + 1)
                                              / (tf(t, d) + k1 * (1 - b + b * len(d) / avglen))
    idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

Candidates are the items whose document has any query term (the GIN index over the
tsvector); per-field token counts and each term's per-field frequency are kept on write
(catalog/lexical.py), so a candidate costs a key lookup per query term; the corpus numbers
(N, average length, document frequencies) are counted over active items and cached for a
minute, which is what they need to be: statistics, not exact counts."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from catalog.filters import ItemFilter
from catalog.lexical import identifier_normal_form, text_search_config
from search.types import ListKind, Ranked, RankedList
from searchapp.db import read_alias, read_connection

FIELDS = ("title", "category", "attributes", "description")  # weights A, B, C, D
# Any of the lexemes in an array parameter, each taken as it is (no second normalisation).
ANY_TERM = "(SELECT string_agg(quote_literal(t), ' | ') FROM unnest(%s::text[]) AS t)::tsquery"
STATS_SECONDS = 60.0
# A synonym's match counts a little less than the shopper's own word (BM25 idf, trigram).
EXPANSION_WEIGHT = 0.8
_DIGIT = re.compile(r"\d")
_JOINED = re.compile(r"\w[-_./]\w")
T = TypeVar("T")


class _TimedCache:
    def __init__(self, seconds: float, size: int = 20000) -> None:
        self.seconds, self.size = seconds, size
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_set(self, key: Any, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                return hit[1]
        value = compute()
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


corpus_cache = _TimedCache(STATS_SECONDS)


def _weights() -> list[float]:
    weights = settings.SEARCHAPP_BM25_FIELD_WEIGHTS
    return [float(weights[name]) for name in FIELDS]


def query_terms(text: str) -> list[str]:
    """The query's lexemes under the deployment's text search configuration (stemmed, stop
    words dropped), in order, without repeats."""
    if not text.strip():
        return []
    with read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT lexeme FROM unnest(to_tsvector(%s::regconfig, %s)) AS u "
            "ORDER BY u.positions[1]",
            [text_search_config(), text],
        )
        return [lexeme for (lexeme,) in cursor.fetchall()]


def _corpus() -> tuple[int, float]:
    """(active items, average weighted document length)."""
    weights = _weights()

    def count() -> tuple[int, float]:
        with read_connection().cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(avg(coalesce(lexical_lengths[1], 0) * %s "
                "+ coalesce(lexical_lengths[2], 0) * %s + coalesce(lexical_lengths[3], 0) * %s "
                "+ coalesce(lexical_lengths[4], 0) * %s), 0) FROM catalog_item WHERE is_active",
                weights,
            )
            items, average = cursor.fetchone()
        return int(items), float(average)

    return corpus_cache.get_or_set(("corpus", text_search_config(), tuple(weights)), count)


def _document_frequencies(terms: Sequence[str]) -> dict[str, int]:
    config = text_search_config()
    found: dict[str, int] = {}
    for term in terms:

        def count(term: str = term) -> int:
            with read_connection().cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM catalog_item WHERE is_active "
                    "AND search_vector @@ quote_literal(%s)::tsquery",
                    [term],
                )
                return int(cursor.fetchone()[0])

        found[term] = corpus_cache.get_or_set(("df", config, term), count)
    return found


def idf(items: int, frequency: int) -> float:
    return math.log(1.0 + (items - frequency + 0.5) / (frequency + 0.5))


def bm25_list(
    text: str,
    item_filter: ItemFilter,
    depth: int,
    *,
    negative_text: str = "",
    expansions: Sequence[str] = (),
) -> RankedList:
    """Items with any query term, best BM25F score first (ties: the item id); items matching
    the negative text are left out. The lexemes of ``expansions`` (other phrasings of the
    query, from synonyms) are query terms too, weighing ``EXPANSION_WEIGHT`` of their own."""
    own = query_terms(text)
    terms = list(dict.fromkeys([*own, *query_terms(" ".join(expansions))]))
    if not terms:
        return RankedList(name="lexical", kind=ListKind.LEXICAL, entries=[])
    items, average = _corpus()
    frequencies = _document_frequencies(terms)
    idfs = [idf(max(items, 1), frequencies[term]) * (1.0 if term in own else EXPANSION_WEIGHT)
            for term in terms]  # fmt: skip
    wa, wb, wc, wd = _weights()
    k1, b = float(settings.SEARCHAPP_BM25_K1), float(settings.SEARCHAPP_BM25_B)
    where, params = _where(item_filter, negative_text)
    length = (
        "(coalesce(i.lexical_lengths[1], 0) * %s + coalesce(i.lexical_lengths[2], 0) * %s"
        " + coalesce(i.lexical_lengths[3], 0) * %s + coalesce(i.lexical_lengths[4], 0) * %s)"
    )
    sql = f"""
        WITH q AS (SELECT * FROM unnest(%s::text[], %s::float8[]) AS q(lexeme, idf)),
        frequencies AS (
            SELECT i.id, {length} AS doclen, q.idf, (
                (i.lexical_terms -> q.lexeme ->> 0)::float8 * %s
                + (i.lexical_terms -> q.lexeme ->> 1)::float8 * %s
                + (i.lexical_terms -> q.lexeme ->> 2)::float8 * %s
                + (i.lexical_terms -> q.lexeme ->> 3)::float8 * %s) AS tf
            FROM catalog_item i JOIN q ON i.lexical_terms ? q.lexeme
            WHERE i.search_vector @@ {ANY_TERM} AND {where}
        )
        SELECT id, sum(idf * tf * (%s + 1) / (tf + %s * (1 - %s + %s * doclen / %s))) AS score
        FROM frequencies GROUP BY id ORDER BY score DESC, id LIMIT %s
    """  # noqa: S608  (only the filter's SQL, built from literals, is formatted in)
    arguments = [
        terms, idfs, wa, wb, wc, wd, wa, wb, wc, wd, terms, *params,
        k1, k1, b, b, max(average, 1e-9), depth,
    ]  # fmt: skip
    with read_connection().cursor() as cursor:
        cursor.execute(sql, arguments)
        rows = cursor.fetchall()
    entries = [Ranked(item_id=item_id, score=float(score)) for item_id, score in rows]
    return RankedList(name="lexical", kind=ListKind.LEXICAL, entries=entries)


def _where(item_filter: ItemFilter, negative_text: str) -> tuple[str, list[Any]]:
    """The filter, and no item whose document has a word of the negative text."""
    where, params = item_filter.where_sql("i")
    negative_terms = query_terms(negative_text)
    if negative_terms:
        where += f" AND NOT i.search_vector @@ {ANY_TERM}"
        params.append(negative_terms)
    return where, params


def _looks_like_identifier(text: str) -> bool:
    """A digit ("9780132350884", "SKU 1234") or joined parts ("oak-desk-xl", "AB_12"): a plain
    word is a word, even where some item's id happens to be that word."""
    return bool(_DIGIT.search(text) or _JOINED.search(text))


def identifier_candidates(text: str) -> list[str]:
    """What in a query could be an identifier: the whole query and each of its words that
    look like one, normalised (case, spaces, hyphens, dots and slashes folded). Fewer than
    three characters are too common to be anyone's identifier."""
    found = [text, *text.split()]
    return list(
        dict.fromkeys(
            identifier_normal_form(part)
            for part in found
            if _looks_like_identifier(part) and len(identifier_normal_form(part)) >= 3
        )
    )


def identifier_list(text: str, item_filter: ItemFilter) -> tuple[RankedList, bool]:
    """Items whose external id or identifier attribute matches the query exactly (after
    normalisation). The second value says whether the whole query is an identifier."""
    candidates = identifier_candidates(text)
    if not candidates:
        return RankedList(name="identifier", kind=ListKind.IDENTIFIER, entries=[]), False
    whole = identifier_normal_form(text)
    where, params = item_filter.where_sql("i")
    sql = (
        "SELECT i.id, %s = ANY(i.identifiers) FROM catalog_item i "  # noqa: S608
        f"WHERE i.identifiers && %s::text[] AND {where} ORDER BY 2 DESC, i.id LIMIT 50"
    )
    with read_connection().cursor() as cursor:
        cursor.execute(sql, [whole, candidates, *params])
        rows = cursor.fetchall()
    entries = [Ranked(item_id=item_id, score=1.0 if whole_match else 0.5)
               for item_id, whole_match in rows]  # fmt: skip
    is_identifier = any(whole_match for _, whole_match in rows)
    return RankedList(name="identifier", kind=ListKind.IDENTIFIER, entries=entries), is_identifier


def trigram_list(
    text: str,
    item_filter: ItemFilter,
    depth: int,
    *,
    negative_text: str = "",
    expansions: Sequence[str] = (),
) -> RankedList:
    """Titles that contain something close to the query, spelling mistakes and all
    (pg_trgm word similarity over the lower-cased title, its GIN index). With
    ``expansions``, an item's score is its best similarity over the query and each of them
    (theirs times ``EXPANSION_WEIGHT``)."""
    variants = [variant for variant in dict.fromkeys([text, *expansions])
                if len(variant.strip()) >= 3]  # fmt: skip
    if not variants:
        return RankedList(name="trigram", kind=ListKind.LEXICAL, entries=[])
    where, params = _where(item_filter, negative_text)
    threshold = float(settings.SEARCHAPP_TRIGRAM_THRESHOLD)
    # One index scan per phrasing, then each item's best similarity.
    one = (
        "SELECT i.id, %s * word_similarity(lower(%s), lower(i.title)) AS similarity "  # noqa: S608
        f"FROM catalog_item i WHERE lower(%s) <%% lower(i.title) AND {where}"
    )
    sql = (
        "SELECT id, max(similarity) AS similarity FROM ("  # noqa: S608
        + " UNION ALL ".join([one] * len(variants))
        + ") AS found GROUP BY id ORDER BY similarity DESC, id LIMIT %s"
    )
    arguments = [
        value
        for variant in variants
        for value in (1.0 if variant == text else EXPANSION_WEIGHT, variant, variant, *params)
    ]
    with transaction.atomic(using=read_alias()), read_connection().cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                       [str(threshold)])  # fmt: skip
        cursor.execute(sql, [*arguments, depth])
        rows = cursor.fetchall()
    entries = [Ranked(item_id=item_id, score=float(similarity)) for item_id, similarity in rows]
    return RankedList(name="trigram", kind=ListKind.LEXICAL, entries=entries)


def did_you_mean(text: str, titles: Sequence[str]) -> str | None:
    """The query with each word that no item's document knows replaced by the closest word
    of the titles found by the fuzzy list (trigram similarity >= 0.4), or None."""
    words = text.split()
    if not words or not titles:
        return None
    known = _document_frequencies([term for term in query_terms(text)])
    unknown_terms = {term for term, frequency in known.items() if frequency == 0}
    if not unknown_terms:
        return None
    vocabulary = sorted({word.strip(".,:;!?()[]\"'").lower() for title in titles
                         for word in title.split()} - {""})  # fmt: skip
    if not vocabulary:
        return None
    changed = False
    corrected: list[str] = []
    with read_connection().cursor() as cursor:
        for word in words:
            if not set(query_terms(word)) & unknown_terms:
                corrected.append(word)
                continue
            cursor.execute(
                "SELECT v, similarity(lower(%s), v) FROM unnest(%s::text[]) AS v "
                "ORDER BY 2 DESC, v LIMIT 1",
                [word, vocabulary],
            )
            best, similarity = cursor.fetchone()
            if similarity >= 0.4 and best != word.lower():
                corrected.append(best)
                changed = True
            else:
                corrected.append(word)
    return " ".join(corrected) if changed else None
