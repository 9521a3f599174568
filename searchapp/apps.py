from django.apps import AppConfig


class SearchappConfig(AppConfig):
    name = "searchapp"
    verbose_name = "searchapp"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from searchapp.cors import anonymous_read_from_any_origin

        check_request_enabled.connect(anonymous_read_from_any_origin)
