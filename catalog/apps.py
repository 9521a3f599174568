import re
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.http import HttpRequest


def _lexical_apply(**kwargs: Any) -> None:
    """After every migrate: the lexical documents follow the configured text search
    configuration and identifier keys (rebuilt only when they changed)."""
    from catalog.lexical import lexical_apply

    lexical_apply()


def _item_image_access(request: HttpRequest, match: re.Match[str]) -> str | None:
    """The images of an active item are public; those of an inactive item only for curators
    (who may change items: the admin shows them)."""
    from catalog.selectors import item_is_active
    from searchapp.media import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL

    if item_is_active(item_id=int(match["item_id"])):
        return PUBLIC_CACHE_CONTROL
    if request.user.has_perm("catalog.change_item"):
        return PRIVATE_CACHE_CONTROL
    return None


class CatalogConfig(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from searchapp.media import media_access_register

        post_migrate.connect(_lexical_apply, sender=self, dispatch_uid="catalog_lexical_apply")
        # catalog.models.item_image_upload_to
        media_access_register(r"items/(?P<item_id>[0-9]{1,18})/[^/]+", _item_image_access)
