from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from embeddings import selectors
from embeddings.models import EmbeddingSpace
from embeddings.spaces import space_index_type_set


class Command(BaseCommand):
    help = (
        "Change what a space's HNSW index holds (halfvec, or binary for catalogs past one "
        "machine's RAM: docs/scaling.md). The new index is built beside the old one, which "
        "searches keep using until it is ready; then the old one is dropped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="space name")
        parser.add_argument("index_type", choices=EmbeddingSpace.IndexType.values)

    def handle(self, *args: Any, **options: Any) -> None:
        space = selectors.space_get(name=options["name"])
        if space is None:
            raise CommandError(f"No space {options['name']!r}.")
        started = time.monotonic()
        try:
            space_index_type_set(space=space, index_type=options["index_type"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"{space.name}: {space.index_type} index {space.index_name} built in "
            f"{time.monotonic() - started:.1f}s; other index types dropped."
        ))  # fmt: skip
