import re

from django.apps import AppConfig
from django.http import HttpRequest


def _judged_query_image_access(request: HttpRequest, match: re.Match[str]) -> str | None:
    """A judged query's image is for those who may view judged queries."""
    from searchapp.media import PRIVATE_CACHE_CONTROL

    return PRIVATE_CACHE_CONTROL if request.user.has_perm("relevance.view_judgedquery") else None


def _demo_judged_set(**kwargs: object) -> str | None:
    """With the demo catalog, its judged set (once)."""
    from relevance.services import demo_judged_set_load

    judged = demo_judged_set_load()
    if judged is None:
        return None
    return (
        f"Demo judged set {judged.judged_set.name}: {judged.queries} queries "
        "(manage.py relevance evaluate demo)."
    )


class RelevanceConfig(AppConfig):
    name = "relevance"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Relevance"

    def ready(self) -> None:
        from catalog.signals import demo_loaded
        from searchapp.media import media_access_register

        demo_loaded.connect(_demo_judged_set, dispatch_uid="relevance_demo_judged_set")
        # relevance.models.judged_query_image_upload_to
        media_access_register(r"relevance/queries/[^/]+", _judged_query_image_access)
