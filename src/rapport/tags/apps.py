from django.apps import AppConfig


class TagsConfig(AppConfig):
    """Workspace-level coloured tags, attachable to any record type through one generic table."""

    name = "rapport.tags"
    label = "tags"
    default_auto_field = "django.db.models.BigAutoField"
