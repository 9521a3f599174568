import re

from django.apps import AppConfig
from django.http import HttpRequest


def _judged_query_image_access(request: HttpRequest, match: re.Match[str]) -> str | None:
    """A judged query's image is for those who may view judged queries."""
    from searchapp.media import PRIVATE_CACHE_CONTROL

    return PRIVATE_CACHE_CONTROL if request.user.has_perm("relevance.view_judgedquery") else None


class RelevanceConfig(AppConfig):
    name = "relevance"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Relevance"

    def ready(self) -> None:
        from searchapp.media import media_access_register

        # relevance.models.judged_query_image_upload_to
        media_access_register(r"relevance/queries/[^/]+", _judged_query_image_access)
