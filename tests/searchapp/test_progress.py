"""searchapp.progress: a live bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

from io import StringIO

from django.core.management.base import OutputWrapper

from searchapp.progress import Progress


class FakeTerminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_redrawn_line() -> None:
    terminal = FakeTerminal()
    with Progress(OutputWrapper(terminal), total=200, unit="rows") as progress:
        for _ in range(200):
            progress.advance()
    text = terminal.getvalue()
    assert text.startswith("\r") and text.count("\n") == 1
    assert text.rstrip("\n").rsplit("\r", 1)[-1].startswith("100%|")
    assert "200/200" in text
    assert text.count("\r") < 10  # throttled: a tight loop redraws only a few times


def test_elsewhere_one_plain_line_per_tenth_then_the_summary() -> None:
    log = StringIO()
    progress = Progress(OutputWrapper(log), unit="items", label="clip")
    for done in range(1, 41):
        progress.update(done=done, total=40, status=f"{40 - done} pending")
    progress.finish("clip: 40 items in 0.1 s")
    lines = log.getvalue().splitlines()
    assert lines[0] == "clip: 4/40 items (10%), 36 pending"
    assert lines[-2:] == ["clip: 40/40 items (100%), 0 pending", "clip: 40 items in 0.1 s"]
    assert len(lines) == 11


def test_the_total_may_grow_and_nothing_is_printed_without_one() -> None:
    log = StringIO()
    progress = Progress(log, unit="rows")
    progress.advance(5)
    assert log.getvalue() == ""
    progress.update(done=5, total=10)
    progress.update(done=10, total=20)  # still half: no new line
    progress.update(done=16)
    assert log.getvalue().splitlines() == ["5/10 rows (50%)", "16/20 rows (80%)"]
