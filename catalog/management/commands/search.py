from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.search import ItemFilter, ItemQuery, SearchMode, item_search
from searchapp.images import image_from_bytes


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
            "--not", dest="negative_text", default="", help="push results away from this text"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["k"] <= 100 or options["page"] < 1:
            raise CommandError("--k must be 1-100 and --page at least 1.")
        image = None
        if options["image"] is not None:
            try:
                image = image_from_bytes(options["image"].read_bytes())
            except OSError as exc:
                raise CommandError(f"Cannot read {options['image']}: {exc}") from exc
            except ValidationError as exc:
                raise CommandError(f"{options['image']}: {'; '.join(exc.messages)}") from exc
        query = ItemQuery(
            text=options["text"].strip(),
            negative_text=options["negative_text"].strip(),
            image=image,
            item_id=options["item_id"],
            mode=SearchMode(options["mode"]),
            filters=ItemFilter(categories=tuple(options["category"])),
            k=options["k"],
            page=options["page"],
        )
        if not query.has_semantic_parts:
            raise CommandError("Give text, --image or --item.")
        if query.mode == SearchMode.LEXICAL and not query.text:
            raise CommandError("Lexical search needs text.")
        results = item_search(query=query)
        for skipped in results.skipped:
            self.stderr.write(f"skipped {skipped.part}: {skipped.reason}")
        self.stdout.write(
            f"{results.mode} search, spaces: {', '.join(results.spaces) or 'none'}; "
            f"{results.total} results, page {results.page}, {results.took_ms:.1f} ms"
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
