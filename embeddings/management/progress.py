"""A progress line on stderr for commands that embed in the foreground."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from embeddings import selectors
from embeddings.models import EmbeddingSpace
from embeddings.store import EmbedReport


def progress_printer(space: EmbeddingSpace, started: float) -> Callable[[EmbedReport], None]:
    def show(report: EmbedReport) -> None:
        progress = selectors.space_progress(space=space)
        rate = report.claimed / max(time.monotonic() - started, 1e-6)
        sys.stderr.write(
            f"\r{space.name}: {progress.ready} ready, {progress.pending} pending, "
            f"{progress.failed} failed of {progress.total} ({rate:.1f} items/s)   "
        )
        sys.stderr.flush()

    return show
