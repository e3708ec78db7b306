"""Custom field definitions: admin-defined fields per record type.

Values live in each record's ``custom`` JSON (on :class:`~rapport.core.models.WorkspaceScoped`),
keyed by the definition's ``key``. How each type is validated, stored, shown, filtered and
converted lives in :mod:`rapport.customfields.types`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from rapport.core.models import WorkspaceScoped


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    MONEY = "money", "Money"
    DATE = "date", "Date"
    DATETIME = "datetime", "Date and time"
    CHECKBOX = "checkbox", "Checkbox"
    SELECT = "select", "Single select"
    MULTI_SELECT = "multi_select", "Multi select"
    URL = "url", "URL"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    USER = "user", "User"


# Types whose values are words people search for.
SEARCHABLE_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.LONG_TEXT,
        FieldType.URL,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.SELECT,
        FieldType.MULTI_SELECT,
    }
)

key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,39}$",
    "Use 1 to 40 lower-case letters, digits and underscores, starting with a letter.",
)


class CustomFieldDefinition(WorkspaceScoped):
    record_type = models.CharField(max_length=100, help_text='Model label, e.g. "contacts.contact".')
    key = models.CharField(
        max_length=40,
        validators=[key_validator],
        help_text="Name of the value in the record's data and in the API. Cannot change later.",
    )
    label = models.CharField(max_length=100)
    field_type = models.CharField("type", max_length=16, choices=FieldType.choices)
    options = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)
    searchable = models.BooleanField(default=False, help_text="Global search finds records by this value.")
    show_in_lists = models.BooleanField(default=False, help_text="Show a column in record lists.")

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["record_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "record_type", "key"],
                condition=models.Q(deleted_at__isnull=True),
                name="customfield_unique_key",
            )
        ]
        indexes = [models.Index(fields=["workspace", "record_type", "position"], name="customfield_type_pos_idx")]

    def __str__(self) -> str:
        return self.label

    @property
    def form_name(self) -> str:
        return f"cf_{self.key}"

    @property
    def api_name(self) -> str:
        return f"custom.{self.key}"

    @property
    def choices(self) -> list[dict[str, str]]:
        return list((self.options or {}).get("choices") or [])

    @property
    def choice_labels(self) -> dict[str, str]:
        return {c["value"]: c["label"] for c in self.choices}

    @property
    def currency(self) -> str:
        return (self.options or {}).get("currency") or ""

    def clean(self) -> None:
        from rapport.customfields.types import clean_options

        loaded: dict[str, Any] = getattr(self, "_loaded_values", None) or {}
        if loaded and loaded.get("key") not in (None, self.key):
            raise ValidationError({"key": "The key of a field cannot change once it exists."})
        if self.searchable and self.field_type not in SEARCHABLE_TYPES:
            raise ValidationError({"searchable": f"{self.get_field_type_display()} fields cannot be searched."})
        self.options = clean_options(self.field_type, self.options)
