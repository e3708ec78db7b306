"""Changing the type of a custom field that already holds values.

A change is either refused up front with the reason (a multi select has no single number), or
previewed: every stored value is converted in memory and the report says how many convert and
which records fail and why. Applying re-runs the conversion inside one transaction, saves each
changed record (so History keeps the old value), and changes the definition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rapport.customfields.models import SEARCHABLE_TYPES, CustomFieldDefinition, FieldType
from rapport.customfields.types import ValueContext, clean_options, clean_value, display

STRINGY = frozenset({FieldType.TEXT, FieldType.LONG_TEXT})
ADDRESSES = frozenset({FieldType.URL, FieldType.EMAIL, FieldType.PHONE})
MAX_LISTED_FAILURES = 100

# Pairs (old, new) that can convert, besides "anything -> text" and "text -> anything".
_PAIRS = {
    (FieldType.NUMBER, FieldType.MONEY),
    (FieldType.MONEY, FieldType.NUMBER),
    (FieldType.NUMBER, FieldType.CHECKBOX),
    (FieldType.CHECKBOX, FieldType.NUMBER),
    (FieldType.DATE, FieldType.DATETIME),
    (FieldType.DATETIME, FieldType.DATE),
    (FieldType.SELECT, FieldType.MULTI_SELECT),
    (FieldType.MULTI_SELECT, FieldType.SELECT),
}


def refusal_reason(old_type: str, new_type: str) -> str | None:
    """Why a field of ``old_type`` can never become ``new_type`` (None when it can, value by value)."""
    if old_type == new_type:
        return "The field already has this type."
    if new_type in STRINGY or old_type in STRINGY or (old_type, new_type) in _PAIRS:
        return None
    old, new = FieldType(old_type).label, FieldType(new_type).label.lower()
    if old_type == FieldType.MULTI_SELECT:
        return f"A multi select holds several choices at once; they cannot become one {new} value."
    if old_type == FieldType.USER:
        return f"A user field points at a workspace member, which has no {new} meaning."
    if new_type == FieldType.USER:
        return f"{old} values do not name workspace members; change the field to Text first, then to User."
    return (
        f"{old} values have no {new} meaning. Change the field to Text first if you want to convert "
        "the values by hand, or create a new field."
    )


def convert_value(old: CustomFieldDefinition, new: CustomFieldDefinition, value: Any, ctx: ValueContext) -> Any:
    """The stored value of ``new`` for a value stored under ``old``; ValidationError with the reason."""
    source, target = old.field_type, new.field_type
    if target in STRINGY:
        if source in ADDRESSES or source in STRINGY:
            return clean_value(new, str(value), ctx)
        return clean_value(new, display(old, value, ctx), ctx)
    if source in STRINGY:
        if target == FieldType.USER:
            return clean_value(new, _member_named(str(value), ctx), ctx)
        return clean_value(new, value, ctx)
    if (source, target) == (FieldType.MONEY, FieldType.NUMBER):
        return clean_value(new, value["amount"], ctx)
    if (source, target) == (FieldType.NUMBER, FieldType.CHECKBOX):
        if str(value) not in ("0", "1"):
            raise ValidationError(f"Only 0 and 1 become a checkbox; this is {value}.")
        return value == "1"
    if (source, target) == (FieldType.CHECKBOX, FieldType.NUMBER):
        return "1" if value is True else "0"
    if (source, target) == (FieldType.DATE, FieldType.DATETIME):
        return clean_value(new, dt.date.fromisoformat(str(value)), ctx)
    if (source, target) == (FieldType.DATETIME, FieldType.DATE):
        moment = parse_datetime(str(value))
        if moment is None:
            raise ValidationError(f"“{value}” is not a date and time.")
        return timezone.localtime(moment).date().isoformat()
    if (source, target) == (FieldType.SELECT, FieldType.MULTI_SELECT):
        return clean_value(new, [value], ctx)
    if (source, target) == (FieldType.MULTI_SELECT, FieldType.SELECT):
        if isinstance(value, list) and len(value) != 1:
            labels = display(old, value, ctx)
            raise ValidationError(f"It holds {len(value)} choices ({labels}); a single select keeps one.")
        return clean_value(new, value[0] if isinstance(value, list) else value, ctx)
    return clean_value(new, value, ctx)  # number -> money and other same-shape pairs


def _member_named(text: str, ctx: ValueContext) -> int | str:
    from django.contrib.auth import get_user_model

    wanted = text.strip().casefold()
    users = get_user_model().objects.filter(pk__in=list(ctx.members))
    for user in users:
        if wanted in {user.email.casefold(), (user.get_full_name() or "").casefold()}:
            return user.pk
    raise ValidationError(f"No member of this workspace is called or has the email “{text}”.")


@dataclass
class Failure:
    record_id: int
    record_label: str
    value: str
    reason: str


@dataclass
class ConversionReport:
    definition: CustomFieldDefinition
    new_type: str
    new_options: dict[str, Any]
    refused: str | None = None
    total: int = 0
    converted: int = 0
    failure_count: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def new_type_label(self) -> str:
        return FieldType(self.new_type).label

    @property
    def more_failures(self) -> int:
        return self.failure_count - len(self.failures)


def target_definition(definition: CustomFieldDefinition, new_type: str, new_options: dict) -> CustomFieldDefinition:
    """An unsaved copy of ``definition`` with the new type and options (validated)."""
    target = CustomFieldDefinition(
        workspace_id=definition.workspace_id,
        record_type=definition.record_type,
        key=definition.key,
        label=definition.label,
        field_type=new_type,
        options=clean_options(new_type, new_options),
        required=definition.required,
        searchable=definition.searchable and new_type in SEARCHABLE_TYPES,
    )
    return target


def records_with_values(definition: CustomFieldDefinition, model: type[models.Model]) -> models.QuerySet:
    """Every record of the workspace holding a value for the field, recycle bin included."""
    return model.all_objects.filter(workspace_id=definition.workspace_id, custom__has_key=definition.key).order_by("pk")  # type: ignore[attr-defined]


def preview(
    definition: CustomFieldDefinition, new_type: str, new_options: dict | None, model: type[models.Model]
) -> ConversionReport:
    """Convert every stored value in memory and report; writes nothing."""
    report = ConversionReport(definition=definition, new_type=new_type, new_options=new_options or {})
    report.refused = refusal_reason(definition.field_type, new_type)
    if report.refused:
        return report
    target = target_definition(definition, new_type, new_options or {})
    report.new_options = target.options
    ctx = ValueContext.for_definitions([definition])
    for record in records_with_values(definition, model).iterator(chunk_size=500):
        value = record.custom.get(definition.key)
        report.total += 1
        try:
            convert_value(definition, target, value, ctx)
        except (ValidationError, KeyError, TypeError, ValueError, IndexError) as exc:
            report.failure_count += 1
            if len(report.failures) < MAX_LISTED_FAILURES:
                reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else "The stored value is damaged."
                report.failures.append(
                    Failure(record.pk, str(record)[:200], display(definition, value, ctx)[:200], reason)
                )
        else:
            report.converted += 1
    return report
