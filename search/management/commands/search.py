from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from search.parse import query_from_params
from search.query import UnknownItem
from search.service import item_search
from search.types import SearchMode, SortOrder


class Command(BaseCommand):
    help = "Search the catalog from the command line and print a results table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", default="", help="what to search for")
        parser.add_argument("--image", type=Path, help="an image file to search with")
        parser.add_argument("--item", type=int, dest="item_id", help="more like this item id")
        parser.add_argument("--mode", choices=[m.value for m in SearchMode], default="hybrid")
        parser.add_argument("--k", type=int, default=10, help="results (1-100)")
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--category", action="append", default=[])
        parser.add_argument(
            "--attr",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="an attribute filter (repeatable; values of one key: any of them)",
        )
        parser.add_argument(
            "--sort", choices=[order.value for order in SortOrder], default="relevance"
        )
        parser.add_argument(
            "--cutoff",
            default="auto",
            help="the relevant set: auto, off, or the share of the best score (0 to 1)",
        )
        parser.add_argument(
            "--not", dest="negative_text", default="", help="push results away from this text"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        params = {
            "q": [options["text"]],
            "negative_text": [options["negative_text"]],
            "item_id": [str(options["item_id"])] if options["item_id"] is not None else [],
            "mode": [options["mode"]],
            "category": options["category"],
            "k": [str(options["k"])],
            "page": [str(options["page"])],
            "sort": [options["sort"]],
            "cutoff": [options["cutoff"]],
            "facets": ["false"],
        }
        for pair in options["attr"]:
            key, equals, value = pair.partition("=")
            if not (equals and key.strip() and value.strip()):
                raise CommandError(f"--attr takes KEY=VALUE, not {pair!r}.")
            params.setdefault(f"attr.{key.strip()}", []).append(value.strip())
        path = options["image"]
        try:
            with path.open("rb") if path is not None else nullcontext() as image:
                query = query_from_params(params, image=image)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except ValidationError as exc:
            raise CommandError(_sentences(exc.detail)) from exc
        try:
            results = item_search(query=query)
        except UnknownItem as exc:
            raise CommandError(f"No item {query.item_id}.") from exc
        for skipped in results.skipped:
            self.stderr.write(f"skipped {skipped.part}: {skipped.reason}")
        self.stdout.write(
            f"{results.mode} search, spaces: {', '.join(results.spaces) or 'none'}; "
            f"{results.total} results, page {results.page}, {results.took_ms:.1f} ms; "
            f"sorted by {results.sort}, cutoff {_cutoff(results.cutoff)}"
        )
        if not results.hits:
            self.stdout.write("No results.")
            return
        rows = [("#", "score", "sim", "match", "id", "category", "price", "title")]
        start = (results.page - 1) * results.k
        for rank, hit in enumerate(results.hits, start=start + 1):
            similarity = "" if hit.similarity is None else f"{hit.similarity:.3f}"
            price = "" if hit.item.price is None else str(hit.item.price)
            rows.append((str(rank), f"{hit.score:.3f}", similarity, hit.matched, str(hit.item.pk),
                         hit.item.category[:20], price, hit.item.title[:60]))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )


def _cutoff(ratio: float | None) -> str:
    return "none" if ratio is None else f"{ratio:g} of the best score"


def _sentences(detail: Any, field: str = "") -> str:
    """A serializer's nested errors on one line: "k: k must be a whole number from 1 to 100"."""
    if isinstance(detail, dict):
        return "; ".join(
            _sentences(value, field if key == "non_field_errors" else f"{field}.{key}".lstrip("."))
            for key, value in detail.items()
        )
    if isinstance(detail, list):
        return "; ".join(_sentences(value, field) for value in detail)
    return f"{field}: {detail}" if field else str(detail)
