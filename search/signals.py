"""What search tells the rest of the project, without importing it.

- ``search_performed``: sent by the interfaces (API, browser page) after a shopper's search
  answered, never by evaluation or tuning. Arguments: ``query`` (SearchQuery), ``results``
  (SearchResults), ``source`` ("api" | "ui"), ``session_key`` (str | None). Receivers must
  not slow the search or fail it (analytics hands the record to a queue and swallows errors).
  A receiver may return the id under which it logs the search (a str): ``search_report``
  sends the signal and returns the first such id, which the interfaces show as `search_id`
  (clicks and conversions name it).
- ``completion_sources``: functions ``(prefix: str, limit: int) -> list[str]`` that suggest
  completed queries (analytics registers popular queries that found results); suggestions
  ask them before falling back to titles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

search_performed = Signal()


def search_report(
    sender: Any, *, query: Any, results: Any, source: str, session_key: str | None
) -> str | None:
    """Send ``search_performed``; the search id a receiver returned, if any."""
    replies = search_performed.send(
        sender=sender, query=query, results=results, source=source, session_key=session_key
    )
    return next((reply for _, reply in replies if isinstance(reply, str)), None)


CompletionSource = Callable[[str, int], list[str]]
completion_sources: list[CompletionSource] = []


def completion_source_register(source: CompletionSource) -> None:
    if source not in completion_sources:
        completion_sources.append(source)
