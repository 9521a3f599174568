from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from embeddings import selectors
from embeddings.management.commands.embed import show_fill
from embeddings.models import EmbeddingSpace
from embeddings.providers.registry import providers
from embeddings.spaces import space_create, space_fill, space_replace
from searchapp.progress import Progress


class Command(BaseCommand):
    help = "Create an embedding space from a provider alias (EMBEDDING_PROVIDERS) and queue its backfill."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="space name (a slug), e.g. clip-b32")
        parser.add_argument(
            "--provider", required=True, help=f"alias, one of: {', '.join(providers.aliases())}"
        )
        parser.add_argument("--activate", action="store_true", help="searchable right away")
        parser.add_argument(
            "--replace",
            metavar="OLD_SPACE",
            help="embed the whole catalog into the new space now, then make it active and retire "
            "OLD_SPACE: switching providers in one command",
        )
        parser.add_argument("--text", action="store_true", default=None, help="embed item text")
        parser.add_argument("--no-text", dest="text", action="store_false")
        parser.add_argument("--images", action="store_true", default=None, help="embed item images")
        parser.add_argument("--no-images", dest="images", action="store_false")
        parser.add_argument(
            "--index-type",
            choices=EmbeddingSpace.IndexType.values,
            default=EmbeddingSpace.IndexType.HALFVEC,
            help="what the HNSW index holds: halfvec, or binary for catalogs past one machine's "
            "RAM (docs/scaling.md); `space_index_type` changes it later",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        old = None
        if options["replace"]:
            old = selectors.space_get(name=options["replace"])
            if old is None:
                raise CommandError(f"No space {options['replace']!r} to replace.")
        try:
            space = space_create(
                name=options["name"],
                provider_alias=options["provider"],
                embeds_text=options["text"],
                embeds_images=options["images"],
                index_type=options["index_type"],
                activate=options["activate"] and old is None,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Created space {space.name}: {space.model_name}, {space.dimensions} dimensions, "
            f"text={space.embeds_text} images={space.embeds_images}, {space.index_type} index, "
            f"{space.status}; backfill queued."
        ))  # fmt: skip
        if old is not None:
            with Progress(self.stderr, label=space.name) as bar:
                report = space_fill(space=space, progress=lambda _: show_fill(bar, space))
            progress = selectors.space_progress(space=space)
            if progress.pending or report.failed:
                raise CommandError(
                    f"{space.name}: {progress.failed} items failed, {progress.pending} pending; "
                    f"{old.name} stays active. Fix the failures (admin or `embed --failed`) and "
                    "activate the new space then."
                )
            space_replace(old=old, new=space)
            self.stdout.write(self.style.SUCCESS(f"{space.name} is active; {old.name} is retired."))
