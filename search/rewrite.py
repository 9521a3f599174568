"""The rewrite stage: a query in, the query to run out. Today it changes nothing; synonyms
and query rules plug in here (a rule may replace the text, add a filter, pin or hide items)."""

from __future__ import annotations

from search.query import SearchQuery


def query_rewrite(query: SearchQuery) -> SearchQuery:
    return query
