"""Custom values in and out of records: validation, form initials, display, search texts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from rapport.customfields.models import SEARCHABLE_TYPES, CustomFieldDefinition, FieldType
from rapport.customfields.types import ValueContext, clean_value, display, is_empty

FORM_PREFIX = "cf_"
API_PREFIX = "custom."


def _key_of(name: str, by_key: Mapping[str, CustomFieldDefinition], prefix: str) -> str:
    if name.startswith(prefix) and name[len(prefix) :] in by_key:
        return name[len(prefix) :]
    return name.removeprefix(prefix)


def clean_values(
    definitions: list[CustomFieldDefinition],
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    api: bool = False,
) -> dict[str, Any]:
    """Validate ``data`` (keys ``<key>`` or ``cf_<key>``/``custom.<key>``) into storable JSON values.

    Returns ``{key: value}``; ``None`` means "clear this field". Without ``partial`` every
    definition gets an entry and required fields must have a value; with ``partial`` only the
    given keys are checked. Errors are one ValidationError keyed ``cf_<key>`` (forms) or
    ``custom.<key>`` (``api=True``). An unknown key is an error, never dropped.
    """
    by_key = {d.key: d for d in definitions}
    prefix = API_PREFIX if api else FORM_PREFIX
    ctx = ValueContext.for_definitions(definitions)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, raw in data.items():
        key = _key_of(str(name), by_key, prefix)
        definition = by_key.get(key)
        if definition is None:
            errors[f"{prefix}{key}"] = ["There is no custom field with this key."]
            continue
        try:
            cleaned[key] = clean_value(definition, raw, ctx)
        except ValidationError as exc:
            errors[f"{prefix}{key}"] = exc.messages
    if not partial:
        for definition in definitions:
            cleaned.setdefault(definition.key, None)
    for key, value in cleaned.items():
        definition = by_key[key]
        if definition.required and is_empty(value) and f"{prefix}{key}" not in errors:
            errors[f"{prefix}{key}"] = ["This field is required."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def merged_custom(current: Mapping[str, Any] | None, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """A *new* dict: ``current`` with ``cleaned`` applied; empty values remove their key.

    Always assign the result (``record.custom = merged_custom(record.custom, cleaned)``): changing
    the loaded dict in place would hide the change from History and the version check.
    """
    merged = dict(current or {})
    for key, value in cleaned.items():
        if is_empty(value):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def apply_values(record: models.Model, cleaned: Mapping[str, Any]) -> None:
    """Set cleaned values on ``record.custom`` (not saved)."""
    record.custom = merged_custom(record.custom, cleaned)  # type: ignore[attr-defined]


def form_values(cleaned_data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``cf_*`` entries of a form's cleaned_data, ready for :func:`clean_values`."""
    return {name: value for name, value in cleaned_data.items() if name.startswith(FORM_PREFIX)}


def initial_from_record(definitions: list[CustomFieldDefinition], record: models.Model | None) -> dict[str, Any]:
    """Form initial values ``{"cf_<key>": value}`` from a record's stored custom values."""
    import datetime as dt

    from django.utils.dateparse import parse_datetime

    custom = getattr(record, "custom", None) or {}
    initial: dict[str, Any] = {}
    for definition in definitions:
        value = custom.get(definition.key)
        if is_empty(value):
            continue
        kind = definition.field_type
        if kind == FieldType.MONEY and isinstance(value, dict):
            value = f"{value.get('amount', '')} {value.get('currency', '')}".strip()
        elif kind == FieldType.DATE:
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(str(value))
        elif kind == FieldType.DATETIME:
            value = parse_datetime(str(value)) or value
        initial[definition.form_name] = value
    return initial


def display_value(definition: CustomFieldDefinition, value: Any) -> str:
    """A stored value as people read it; "" when empty."""
    return display(definition, value)


def display_values(definitions: list[CustomFieldDefinition], record: models.Model) -> list[dict[str, Any]]:
    """``[{"definition", "label", "value", "display"}]`` for a record page, in field order."""
    custom = getattr(record, "custom", None) or {}
    return [
        {
            "definition": d,
            "label": d.label,
            "value": custom.get(d.key),
            "display": display(d, custom.get(d.key)),
        }
        for d in definitions
    ]


def search_texts(definitions: Iterable[CustomFieldDefinition], record: models.Model) -> list[str]:
    """Values of the searchable fields of ``record``, as text for the search index."""
    custom = getattr(record, "custom", None) or {}
    texts: list[str] = []
    for definition in definitions:
        if not definition.searchable or definition.field_type not in SEARCHABLE_TYPES:
            continue
        value = custom.get(definition.key)
        if is_empty(value):
            continue
        if definition.field_type in (FieldType.PHONE, FieldType.EMAIL, FieldType.URL):
            texts.append(str(value))  # raw E.164 / address: the index files it under phones / emails
        else:
            texts.append(display(definition, value))
    return texts
