from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _lexical_apply(**kwargs: Any) -> None:
    """After every migrate: the lexical documents follow the configured text search
    configuration and identifier keys (rebuilt only when they changed)."""
    from catalog.lexical import lexical_apply

    lexical_apply()


class CatalogConfig(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_lexical_apply, sender=self, dispatch_uid="catalog_lexical_apply")
