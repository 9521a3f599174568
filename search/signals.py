"""What search tells the rest of the project, without importing it.

- ``search_performed``: sent by the interfaces (API, browser page) after a shopper's search
  answered, never by evaluation or tuning. Arguments: ``query`` (SearchQuery), ``results``
  (SearchResults), ``source`` ("api" | "ui"), ``session_key`` (str | None). Receivers must
  not slow the search or fail it (analytics hands the record to a queue and swallows errors).
- ``completion_sources``: functions ``(prefix: str, limit: int) -> list[str]`` that suggest
  completed queries (analytics registers popular queries that found results); suggestions
  ask them before falling back to titles.
"""

from __future__ import annotations

from collections.abc import Callable

from django.dispatch import Signal

search_performed = Signal()

CompletionSource = Callable[[str, int], list[str]]
completion_sources: list[CompletionSource] = []


def completion_source_register(source: CompletionSource) -> None:
    if source not in completion_sources:
        completion_sources.append(source)
