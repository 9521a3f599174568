from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from embeddings import selectors
from embeddings.models import EmbeddingSpace
from embeddings.queue import space_backfill
from embeddings.spaces import space_fill
from searchapp.progress import Progress


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
        with Progress(self.stderr, label=space.name) as bar:
            report = space_fill(space=space, progress=lambda _: show_fill(bar, space))
        progress = selectors.space_progress(space=space)
        self.stdout.write(
            f"{space.name}: {progress.ready} ready, {progress.pending} pending, {progress.failed} failed "
            f"of {progress.total} items; {report.claimed} embedded here in {bar.elapsed:.1f}s."
        )


def show_fill(bar: Progress, space: EmbeddingSpace) -> None:
    """The space's state after a batch: items done (ready or failed) of the catalog."""
    state = selectors.space_progress(space=space)
    status = f"{state.pending} pending, {state.failed} failed"
    bar.update(done=state.ready + state.failed, total=state.total, status=status)
