from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _orphan_indexes_drop(*, using: str, **kwargs: Any) -> None:
    """After every migrate and flush: a flush deletes the spaces but not their indexes."""
    from embeddings.index import orphan_indexes_drop

    orphan_indexes_drop(using=using)


class EmbeddingsConfig(AppConfig):
    name = "embeddings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from embeddings import checks  # noqa: F401  (registers the system check)
        from embeddings.providers import registry  # noqa: F401  (connects setting_changed)
        from embeddings.signal_handlers import register_signal_handlers

        register_signal_handlers()
        post_migrate.connect(
            _orphan_indexes_drop, sender=self, dispatch_uid="embeddings_orphan_indexes_drop"
        )
