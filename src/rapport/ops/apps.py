from django.apps import AppConfig
from django.core import checks


class OpsConfig(AppConfig):
    name = "rapport.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.ops.deferred import check_pending_rebuilds

        checks.register(check_pending_rebuilds, checks.Tags.database)
