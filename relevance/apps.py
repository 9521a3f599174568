from django.apps import AppConfig


class RelevanceConfig(AppConfig):
    name = "relevance"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Relevance"
