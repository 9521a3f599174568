"""manage.py catalog_quality scan|report: find quality problems, list what was found."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from embeddings.models import EmbeddingSpace
from quality import selectors
from quality.detectors import Thresholds
from quality.models import Finding, FindingKind
from quality.services import catalog_scan, catalog_scan_incremental, scan_run_create


class Command(BaseCommand):
    help = "Scan the catalog's vectors for duplicates, mismatches, miscategorised items and outliers; report findings."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help="scan now and store the findings")
        scan.add_argument("--space", action="append", help="space name (default: the active ones)")
        scan.add_argument("--incremental", action="store_true",
                          help="only the items embedded or edited since the last scan")  # fmt: skip
        defaults = Thresholds()
        for name in ("duplicate_similarity", "image_duplicate_similarity", "mismatch_z",
                     "miscategory_margin", "outlier_similarity"):  # fmt: skip
            scan.add_argument(
                f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name)
            )
        scan.add_argument("--neighbours", type=int, default=defaults.neighbours)
        scan.add_argument("--min-category-items", type=int, default=defaults.min_category_items)
        report = sub.add_parser("report", help="print the findings")
        report.add_argument("--kind", choices=FindingKind.values)
        report.add_argument("--status", choices=Finding.Status.values, default="open")
        report.add_argument("--format", choices=["table", "jsonl"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "scan":
            self.scan(options)
        else:
            self.report(options)

    def scan(self, options: dict[str, Any]) -> None:
        if options["incremental"]:
            result = catalog_scan_incremental()
            if result is None:
                self.stdout.write("Nothing changed since the last scan.")
                return
        else:
            spaces = None
            if options["space"]:
                spaces = list(EmbeddingSpace.objects.filter(name__in=options["space"]))
                missing = set(options["space"]) - {space.name for space in spaces}
                if missing:
                    raise CommandError(f"No such space: {', '.join(sorted(missing))}.")
            thresholds = Thresholds(
                **{name: options[name] for name in Thresholds.__dataclass_fields__}
            )
            result = catalog_scan(run=scan_run_create(), spaces=spaces, thresholds=thresholds)
        for name, counts in result.counts.items():
            self.stdout.write(
                f"{name}: {counts['found']} found, {counts['kept_dismissed']} still dismissed, "
                f"{counts['fixed']} fixed"
            )

    def report(self, options: dict[str, Any]) -> None:
        findings = selectors.finding_list(kind=options["kind"], status=options["status"])
        for finding in findings:
            items = selectors.finding_items(finding)
            if options["format"] == "jsonl":
                row = {
                    "id": finding.pk, "kind": finding.kind, "status": finding.status,
                    "score": finding.score, "space": finding.space.name if finding.space else None,
                    "items": [{"id": i.pk, "external_id": i.external_id, "title": i.title,
                               "category": i.category} for i in items],
                    "detail": finding.detail, "detected_at": finding.detected_at.isoformat(),
                }  # fmt: skip
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                titles = " | ".join(f"#{i.pk} {i.title[:40]}" for i in items)
                self.stdout.write(f"{finding.kind:<16} {finding.score:>7.3f}  {titles}")
