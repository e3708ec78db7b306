from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "rapport.contacts"
    label = "contacts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.contacts import signals  # noqa: F401  (recycle-bin transitions)
        from rapport.contacts.registration import register

        register()
