"""Real semantic search with the real all-MiniLM-L6-v2 in ../shared/models over the real
oscar books catalog in ../shared/data (skipped cleanly when ../shared is absent)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from catalog.importers import catalog_import
from embeddings import queue as embedding_queue
from embeddings import spaces as embedding_spaces
from embeddings.query import query_vector_cache
from search.query import SearchQuery
from search.service import item_search
from search.types import SearchMode

pytestmark = [pytest.mark.shared, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# (a paraphrase sharing no word with the title, the book's title)
PARAPHRASES = [
    (
        "safely changing an inherited codebase that has no tests",
        "Working Effectively With Legacy Code",
    ),
    (
        "organising iterative teams around sprints plus a product backlog",
        "Scrum and XP from the Trenches",
    ),
    ("improving the design of existing programs without altering behaviour", "Refactoring"),
]


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def test_paraphrased_queries_find_the_book_in_the_top_5(
    shared_dir: Path, minilm_providers: dict[str, Any]
) -> Any:
    with override_settings(EMBEDDING_PROVIDERS=minilm_providers):
        summary = catalog_import(path=shared_dir / "data" / "oscar_books", format="oscar-csv")
        assert summary.created >= 190
        space = embedding_spaces.space_create(name="minilm", provider_alias="minilm", activate=True)
        report = embedding_queue.space_embed_pending(space=space)
        assert report.failed == 0 and report.ready == summary.created
        query_vector_cache.clear()
        for query, title in PARAPHRASES:
            assert not words(query) & words(title), (query, title)
            results = item_search(query=SearchQuery(text=query, mode=SearchMode.SEMANTIC, k=5))
            top = [hit.item.title for hit in results.hits]
            assert title in top, f"{query!r}: {title!r} not in the top 5 {top}"
