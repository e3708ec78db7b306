from django.apps import AppConfig


class DuplicatesConfig(AppConfig):
    name = "rapport.duplicates"
    label = "duplicates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.core.registry import NavItem, registry

        registry.add_nav(NavItem(label="Duplicates", url_name="duplicates:list", order=96))
