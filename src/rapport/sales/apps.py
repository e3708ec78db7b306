from django.apps import AppConfig


class SalesConfig(AppConfig):
    """Pipelines, deals on a board, products, quotes, orders, forecasts and lead handling."""

    name = "rapport.sales"
    label = "sales"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Sales"

    def ready(self) -> None:
        from rapport.sales import registration

        registration.register()
