"""Progress of a long command-line job: a live bar (tqdm) on a terminal, plain lines elsewhere.

Logs, pipes and tests get one line per tenth of the work ("120/200 rows (60%)"), so the
output stays readable and comparable. Any command that loops over many things uses it:

    with Progress(self.stderr, unit="rows") as progress:
        for row in rows:
            ...
            progress.advance()
        progress.finish(f"{progress.done} rows in {progress.elapsed:.1f} s")
"""

from __future__ import annotations

import time
from io import TextIOBase
from types import TracebackType
from typing import IO, Any

from tqdm import tqdm


class Progress:
    STEPS = 10  # plain lines per job

    def __init__(
        self, stream: IO[str] | TextIOBase, *, total: int = 0, unit: str = "items", label: str = ""
    ) -> None:
        # A management command's OutputWrapper ends every write with a newline; the bar
        # redraws its line, so it writes to the stream underneath.
        self.stream: IO[str] | TextIOBase = getattr(stream, "_out", None) or stream
        self.unit = unit
        self.label = label
        self.total = total
        self.done = 0
        self.status = ""
        self.started = time.monotonic()
        self._steps_shown = 0
        self._bar: tqdm[Any] | None = None
        if self.stream.isatty():
            self._bar = tqdm(
                total=total or None,
                unit=f" {unit}",
                desc=label or None,
                file=self.stream,
                dynamic_ncols=True,
                mininterval=0.1,
            )

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def advance(self, count: int = 1) -> None:
        self.update(done=self.done + count)

    def update(self, *, done: int, total: int | None = None, status: str | None = None) -> None:
        """Where the job stands: `done` of `total` (`total` may grow as work is found), and
        an optional status shown beside the count."""
        if total is not None:
            self.total = total
        if status is not None:
            self.status = status
        self.done = done
        if self._bar is not None:
            self._bar.total = self.total or None
            if status is not None:
                self._bar.set_postfix_str(status, refresh=False)
            self._bar.update(done - self._bar.n)
        elif self.total > 0:
            step = self.STEPS * done // self.total
            if step > self._steps_shown:
                self._steps_shown = step
                self.stream.write(self.line() + "\n")
                self.stream.flush()

    def line(self) -> str:
        """The plain progress line: "[label: ]done/total unit (percent%)[, status]"."""
        prefix = f"{self.label}: " if self.label else ""
        percent = 100 * self.done // self.total if self.total else 100
        status = f", {self.status}" if self.status else ""
        return f"{prefix}{self.done}/{self.total} {self.unit} ({percent}%){status}"

    def finish(self, summary: str = "") -> None:
        """Close the bar (it stays on screen at its final state) and write `summary`, if
        any, as the last line."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if summary:
            self.stream.write(summary + "\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish()
