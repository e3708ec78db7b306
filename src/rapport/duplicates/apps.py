from django.apps import AppConfig


class DuplicatesConfig(AppConfig):
    name = "rapport.duplicates"
    label = "duplicates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.core.registry import NavItem, RestoreGuard, registry
        from rapport.duplicates.restore import merged_away

        registry.add_nav(NavItem(label="Duplicates", url_name="duplicates:list", order=96))
        registry.add_restore_guard(RestoreGuard(key="duplicates.merged_away", claims=merged_away))
