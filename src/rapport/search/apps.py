from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "rapport.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.search import receivers  # noqa: F401  (connects the custom-field receiver)
