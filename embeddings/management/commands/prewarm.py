from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from embeddings.prewarm import indexes_prewarm, prewarm_available, shown


class Command(BaseCommand):
    help = (
        "Read every active space's HNSW index into PostgreSQL's shared buffers (pg_prewarm), "
        "so the first searches after a restart do not wait on disk. `make run` runs it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not prewarm_available():
            self.stdout.write(self.style.WARNING(
                "pg_prewarm is not installed in this database (see README, PostgreSQL settings "
                "for vectors): nothing prewarmed."
            ))  # fmt: skip
            return
        loaded = indexes_prewarm()
        for entry in loaded:
            self.stdout.write(
                f"{entry.space}: {entry.index}, {entry.blocks} blocks ({shown(entry.bytes)})"
            )
        total = sum(entry.bytes for entry in loaded)
        self.stdout.write(self.style.SUCCESS(
            f"Prewarmed {len(loaded)} index(es): {total} bytes ({shown(total)})."
        ))  # fmt: skip
