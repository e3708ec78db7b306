from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Bookkeeping of the task worker: heartbeats of running workers and claimed periodic slots."""

    name = "rapport.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"
