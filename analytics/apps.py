from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Search analytics"

    def ready(self) -> None:
        from analytics.receivers import search_log_enqueue
        from analytics.selectors import popular_queries
        from search.signals import completion_source_register, search_performed

        search_performed.connect(search_log_enqueue, dispatch_uid="analytics.search_log")
        completion_source_register(popular_queries)
