from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from embeddings import selectors
from embeddings.management.progress import progress_printer
from embeddings.queue import space_backfill
from embeddings.spaces import space_fill


class Command(BaseCommand):
    help = (
        "Embed a space's items here and now with a progress bar (or --queue them for the workers)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--space", required=True, help="space name")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--all",
            dest="scope",
            action="store_const",
            const="all",
            help="every item (unchanged ones cost no provider call)",
        )
        scope.add_argument(
            "--stale",
            dest="scope",
            action="store_const",
            const="stale",
            help="items not ready (default)",
        )
        scope.add_argument(
            "--failed", dest="scope", action="store_const", const="failed", help="failed items only"
        )
        parser.add_argument(
            "--queue", action="store_true", help="leave the work to the Celery workers"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        space = selectors.space_get(name=options["space"])
        if space is None:
            names = ", ".join(s.name for s in selectors.space_list()) or "none"
            raise CommandError(f"No space {options['space']!r} (spaces: {names}).")
        marked = space_backfill(space=space, scope=options["scope"] or "stale")
        self.stdout.write(f"{marked} items marked for {space.name}.")
        if options["queue"]:
            return
        started = time.monotonic()
        report = space_fill(space=space, progress=progress_printer(space, started))
        progress = selectors.space_progress(space=space)
        self.stdout.write(
            f"\n{space.name}: {progress.ready} ready, {progress.pending} pending, {progress.failed} failed "
            f"of {progress.total} items; {report.claimed} embedded here in {time.monotonic() - started:.1f}s."
        )
