from django.apps import AppConfig
from django.core import checks


class ApiConfig(AppConfig):
    name = "rapport.api"
    label = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.api import schema  # noqa: F401  (registers the OpenAPI auth extensions)

        checks.register(check_rate_limit)


def check_rate_limit(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Refuse a malformed API_RATE_LIMIT at startup rather than on the first API request."""
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework.settings import api_settings

    from rapport.api.throttling import parse_rate

    rate = api_settings.DEFAULT_THROTTLE_RATES.get("token")
    if not rate:
        return []
    try:
        parse_rate(rate)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Set API_RATE_LIMIT like 1200/min.", id="rapport.api.E001")]
    return []
