from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from embeddings.models import EmbeddingSpace
from embeddings.providers.base import ProviderError
from embeddings.providers.registry import providers
from embeddings.spaces import space_create


class Command(BaseCommand):
    help = (
        "Give every configured provider alias an active space (named after the alias) unless it "
        "has one already. Aliases whose model is not available are reported and skipped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for alias in providers.aliases():
            existing = EmbeddingSpace.objects.filter(provider_alias=alias).exclude(
                status=EmbeddingSpace.Status.RETIRED
            )
            if existing.exists():
                self.stdout.write(f"Space for {alias}: {', '.join(str(s) for s in existing)}")
                continue
            try:
                space = space_create(name=alias, provider_alias=alias, activate=True)
            except (ValidationError, ProviderError) as exc:
                message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.stdout.write(self.style.WARNING(f"No space for {alias}: {message}"))
                continue
            self.stdout.write(self.style.SUCCESS(f"Created space {space}; embedding queued."))
