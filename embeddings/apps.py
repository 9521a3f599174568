from django.apps import AppConfig


class EmbeddingsConfig(AppConfig):
    name = "embeddings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from embeddings import checks  # noqa: F401  (registers the system check)
        from embeddings.providers import registry  # noqa: F401  (connects setting_changed)
        from embeddings.signal_handlers import register_signal_handlers

        register_signal_handlers()
