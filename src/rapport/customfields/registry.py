"""Record types that accept custom fields. Apps register theirs in ``AppConfig.ready()``::

from rapport.customfields.registry import register_record_type
register_record_type("contacts.contact", "Contact")
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class RecordType:
    label: str  # model label, lower case: "contacts.contact"
    verbose_name: str

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


_record_types: dict[str, RecordType] = {}


def register_record_type(label: str, verbose_name: str) -> RecordType:
    """Let admins define custom fields on the model ``label`` (idempotent)."""
    label = label.lower()
    record_type = RecordType(label=label, verbose_name=verbose_name)
    _record_types[label] = record_type
    return record_type


def unregister_record_type(label: str) -> None:
    """For tests that register a sample model for a while."""
    _record_types.pop(label.lower(), None)


def record_types() -> list[RecordType]:
    return sorted(_record_types.values(), key=lambda r: r.verbose_name.lower())


def get_record_type(label: str) -> RecordType | None:
    return _record_types.get((label or "").lower())


def label_for_model(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower
