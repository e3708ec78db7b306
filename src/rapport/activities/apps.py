from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "rapport.activities"
    label = "activities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.activities.registration import register

        register()
