from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from catalog.importers import FORMATS, ImportFileError, ImportSummary, catalog_import
from searchapp.progress import Progress


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
        arguments = {key: options[key] for key in ("path", "format", "images_dir", "start_at")}
        with Progress(self.stderr, unit="rows") as progress:
            try:
                summary = catalog_import(
                    **arguments,
                    dry_run=options["dry_run"],
                    progress=lambda done, total: progress.update(done=done, total=total),
                )
            except ImportFileError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(summary_text(summary, seconds=progress.elapsed))


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
