from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from catalog.importers import FORMATS, ImportFileError, ImportSummary, catalog_import


class ProgressBar:
    """ "\\r[#####.....] 120/201 rows" on a terminal (redrawn at most 10 times a second);
    elsewhere (logs, pipes) one line per tenth of the rows."""

    WIDTH = 30
    INTERVAL_S = 0.1

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out
        self.interactive = out.isatty()
        self.drawn_at = 0.0
        self.tenths = 0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self.interactive:
            now = time.monotonic()
            if done < total and now - self.drawn_at < self.INTERVAL_S:
                return
            self.drawn_at = now
            filled = self.WIDTH * done // total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.out.write(f"\r[{bar}] {done}/{total} rows", ending="")
            self.out.flush()
            self.drawn = True
        else:
            tenths = 10 * done // total
            if tenths > self.tenths:
                self.tenths = tenths
                self.out.write(f"{done}/{total} rows ({100 * done // total}%)")

    def finish(self) -> None:
        if self.drawn:
            self.out.write("")  # end the redrawn line


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


class Command(BaseCommand):
    help = (
        "Import items from a catalog file: CSV or JSON Lines with external_id, title, "
        "description, category, price, image (and attributes), or the oscar-csv and "
        "boutique-json sample catalogs. Re-running is safe: unchanged rows are not written."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="A file, or a directory of csv/jsonl files.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the file extension.")
        parser.add_argument(
            "--images-dir",
            type=Path,
            help="Where relative image paths point (default: the file's folder; "
            "images/ beside the file for oscar-csv and boutique-json).",
        )
        parser.add_argument(
            "--start-at",
            type=_non_negative,
            default=0,
            help="Skip the first N data rows (to resume an interrupted import).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = ProgressBar(self.stderr)
        started = time.monotonic()
        try:
            summary = catalog_import(
                path=options["path"],
                format=options["format"],
                images_dir=options["images_dir"],
                start_at=options["start_at"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            progress.finish()
        self.stdout.write(summary_text(summary, seconds=time.monotonic() - started))


def summary_text(summary: ImportSummary, *, seconds: float) -> str:
    verb = "Checked (dry run, nothing written)" if summary.dry_run else "Imported"
    lines = [
        f"{verb} {summary.path} as {summary.format}: {summary.total} rows in {seconds:.1f} s.",
        f"  created: {summary.created}",
        f"  updated: {summary.updated}"
        + (f" ({summary.images_added} images added)" if summary.images_added else ""),
        f"  unchanged: {summary.unchanged}",
        f"  failed: {summary.failed}",
    ]
    if summary.skipped:
        lines.append(f"  skipped (--start-at): {summary.skipped}")
    if summary.failures:
        lines.append("Failed rows:")
        lines.extend(f"  {failure.describe()}" for failure in summary.failures)
    return "\n".join(lines)
