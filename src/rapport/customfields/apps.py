from django.apps import AppConfig


class CustomfieldsConfig(AppConfig):
    name = "rapport.customfields"
    label = "customfields"
    default_auto_field = "django.db.models.BigAutoField"
