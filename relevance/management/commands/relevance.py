from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relevance.evaluation import judged_set_evaluate, reports_compare
from relevance.formats import (
    JudgedSetFileError,
    judged_queries_parse,
    judged_queries_to_jsonl,
    judged_set_format,
)
from relevance.models import QueryKind
from relevance.runner import MODES, Configuration, ConfigurationError
from relevance.selectors import judged_set_export, judged_set_get
from relevance.services import judged_set_import
from relevance.tables import comparison_table, kind_table, query_table, summary_table
from relevance.tuning import profile_fit, queries_prepare
from search.profiles import profile_version_create


class Command(BaseCommand):
    help = (
        "Judged sets: evaluate search on one, tune the search profile on one, import one from "
        "JSONL or CSV, export one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        evaluate = commands.add_parser("evaluate", help="measure search on a judged set")
        evaluate.add_argument("set", help="the judged set's name")
        evaluate.add_argument("--mode", action="append", choices=MODES, dest="modes")
        evaluate.add_argument(
            "--profile", action="append", dest="profiles", help="a search profile by name"
        )
        evaluate.add_argument("--kind", choices=QueryKind.values)
        evaluate.add_argument("--per-query", action="store_true", help="a table per query")
        evaluate.add_argument(
            "--compare", action="store_true", help="per-query difference of the first two"
        )
        load = commands.add_parser("import", help="store a judged set from a .jsonl or .csv file")
        load.add_argument("file", type=Path)
        load.add_argument("--set", required=True, dest="set", help="the judged set's name")
        load.add_argument("--description")
        load.add_argument(
            "--images",
            type=Path,
            help="folder that image paths are relative to (default: the file's)",
        )
        tune = commands.add_parser(
            "tune", help="fit the search profile's fusion to a judged set; save a new version"
        )
        tune.add_argument("set")
        tune.add_argument("--name", default="default", help="the profile to add a version to")
        tune.add_argument(
            "--fit-share", type=float, default=0.7, help="share of queries fitted on (0.3-1)"
        )
        tune.add_argument("--activate", action="store_true", help="make the new version active")
        tune.add_argument("--dry-run", action="store_true", help="report only, save nothing")
        dump = commands.add_parser("export", help="write a judged set as JSONL")
        dump.add_argument("set")
        dump.add_argument("--output", type=Path, help="a file (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _evaluate(self, options: dict[str, Any]) -> None:
        judged_set = judged_set_get(name=options["set"])
        if judged_set is None:
            raise CommandError(f"No judged set named {options['set']!r}.")
        configurations = [
            Configuration(mode=mode, profile=profile)
            for mode, profile in itertools.product(
                options["modes"] or ["hybrid"], options["profiles"] or [None]
            )
        ]
        if options["compare"] and len(configurations) < 2:
            raise CommandError("--compare needs two configurations (two --mode or --profile).")
        try:
            reports = judged_set_evaluate(
                judged_set=judged_set, configurations=configurations, kind=options["kind"]
            )
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Judged set {judged_set.name}\n\n{summary_table(reports)}\n")
        self.stdout.write(f"Per kind\n{kind_table(reports)}\n")
        if reports[0].unanswerable:
            self.stdout.write(
                f"Left out (no relevant item): {'; '.join(reports[0].unanswerable)}\n"
            )
        if options["per_query"]:
            for report in reports:
                self.stdout.write(f"Per query: {report.configuration.label}\n")
                self.stdout.write(f"{query_table(report)}\n")
        if options["compare"]:
            comparison = reports_compare(base=reports[0], other=reports[1])
            self.stdout.write(f"Compare\n{comparison_table(comparison)}\n")

    def _tune(self, options: dict[str, Any]) -> None:
        judged_set = judged_set_get(name=options["set"])
        if judged_set is None:
            raise CommandError(f"No judged set named {options['set']!r}.")
        if not 0.3 <= options["fit_share"] <= 1:
            raise CommandError("--fit-share is from 0.3 to 1.")
        prepared = queries_prepare(judged_set=judged_set, share=options["fit_share"])
        if not prepared:
            raise CommandError(f"{judged_set.name} has no query with a relevant item.")
        report = profile_fit(prepared=prepared)
        self.stdout.write(f"Tuning on {judged_set.name}: {report.summary()}\n")
        self.stdout.write(f"Before: {report.before.label}\n")
        for kind, versions in report.kinds.items():
            before, after = versions["before"]["nDCG@10"], versions["after"]["nDCG@10"]
            self.stdout.write(f"  {kind:<18} nDCG@10 {before:.3f} -> {after:.3f}\n")
        if options["dry_run"]:
            return
        profile = profile_version_create(
            name=options["name"],
            method=report.profile.method,
            weights=report.profile.weights,
            rrf_k=report.profile.rrf_k,
            min_score_ratio=report.profile.min_score_ratio,
            notes=f"relevance tune {judged_set.name}\n{report.summary()}",
            activate=options["activate"],
        )
        state = "active" if options["activate"] else "not active (activate it in the admin)"
        self.stdout.write(f"Saved {profile.name}@v{profile.version}, {state}.\n")

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            queries = judged_queries_parse(
                content=path.read_text(encoding="utf-8"), format=judged_set_format(path)
            )
            report = judged_set_import(
                name=options["set"],
                queries=queries,
                description=options["description"],
                images_dir=options["images"] or path.parent,
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except JudgedSetFileError as exc:
            raise CommandError(
                f"{path.name}: nothing stored.\n" + "\n".join(f"  {p}" for p in exc.problems)
            ) from exc
        verb = "created" if report.created else "replaced"
        self.stdout.write(
            f"Judged set {report.judged_set.name} {verb}: {report.queries} queries, "
            f"{report.judgements} judgements."
        )

    def _export(self, options: dict[str, Any]) -> None:
        judged_set = judged_set_get(name=options["set"])
        if judged_set is None:
            raise CommandError(f"No judged set named {options['set']!r}.")
        content = judged_queries_to_jsonl(judged_set_export(judged_set=judged_set))
        if options["output"] is None:
            self.stdout.write(content, ending="")
        else:
            options["output"].write_text(content, encoding="utf-8")
            self.stderr.write(f"Wrote {content.count(chr(10))} queries to {options['output']}.")
