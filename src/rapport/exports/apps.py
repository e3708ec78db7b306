from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "rapport.exports"
    label = "exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.contacts import bulk
        from rapport.exports.views import list_export_handler

        bulk.export_handler = list_export_handler
