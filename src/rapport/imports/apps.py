from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "rapport.imports"
    label = "imports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.core.demo import demo_loaders
        from rapport.core.registry import NavItem, registry
        from rapport.imports.demo import load_demo

        registry.add_nav(NavItem(label="Import", url_name="imports:list", order=95))
        if load_demo not in demo_loaders:
            demo_loaders.append(load_demo)
