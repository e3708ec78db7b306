"""Writes of custom field definitions: create, update, delete, reorder, change type."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.db.models.fields.json import KeyTransform
from django.utils.text import slugify

from rapport.core import services as core_services
from rapport.core.models import ConflictError
from rapport.core.permissions import Actor
from rapport.customfields import conversion
from rapport.customfields.models import SEARCHABLE_TYPES, CustomFieldDefinition, FieldType
from rapport.customfields.registry import get_record_type
from rapport.customfields.signals import custom_values_changed
from rapport.customfields.types import clean_options

EDITABLE = ("label", "options", "required", "help_text", "position", "searchable", "show_in_lists")
CREATABLE = ("key", "field_type", *EDITABLE)


def _reserved_keys() -> frozenset[str]:
    """Names Django reads as lookups after ``custom__``; a key must not be one of them."""
    names = set(models.JSONField.get_lookups()) | set(KeyTransform.get_lookups())
    return frozenset(names | {"pk"})


def _check_manager(actor: Actor) -> None:
    if not actor.can("workspace.manage"):
        raise PermissionDenied("Only owners and admins manage custom fields.")


def _model_for(record_type: str) -> type[models.Model]:
    registered = get_record_type(record_type)
    if registered is None:
        raise ValidationError({"record_type": f"“{record_type}” does not take custom fields."})
    return registered.model


def _notify(model: type[models.Model], definition: CustomFieldDefinition, pks: list[int] | None) -> None:
    def send() -> None:
        custom_values_changed.send(sender=model, workspace_id=definition.workspace_id, pks=pks)

    transaction.on_commit(send)


def _derive_key(label: str, record_type: str, workspace_id: int) -> str:
    base = slugify(label).replace("-", "_")[:36].strip("_") or "field"
    if not base[0].isalpha():
        base = f"f_{base}"[:36]
    taken = set(
        CustomFieldDefinition.all_objects.filter(
            workspace_id=workspace_id, record_type=record_type, key__startswith=base
        ).values_list("key", flat=True)
    )
    key, n = base, 1
    while key in taken or key in _reserved_keys():
        n += 1
        key = f"{base}_{n}"
    return key


def definition_create(*, actor: Actor, record_type: str, data: dict[str, Any]) -> CustomFieldDefinition:
    """Create a field; its key is derived from the label when not given."""
    _check_manager(actor)
    unknown = set(data) - set(CREATABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    record_type = record_type.lower()
    model = _model_for(record_type)
    with transaction.atomic():
        key = (data.get("key") or "").strip() or _derive_key(data.get("label") or "", record_type, actor.workspace.pk)
        if key in _reserved_keys():
            raise ValidationError({"key": f"“{key}” is a reserved word; choose another key."})
        same_key = CustomFieldDefinition.all_objects.filter(
            workspace_id=actor.workspace.pk, record_type=record_type, key=key
        )
        if same_key.filter(deleted_at__isnull=True).exists():
            raise ValidationError({"key": f"A field with the key “{key}” already exists."})
        if same_key.exists():
            raise ValidationError(
                {"key": f"A deleted field in the recycle bin uses “{key}”; restore it or choose another key."}
            )
        held = model.all_objects.filter(workspace_id=actor.workspace.pk, custom__has_key=key)  # type: ignore[attr-defined]
        if held.exists():
            raise ValidationError({"key": f"Records still hold values under “{key}”; choose another key."})
        position = data.get("position")
        if position is None:
            highest = CustomFieldDefinition.objects.filter(record_type=record_type).aggregate(m=Max("position"))["m"]
            position = 0 if highest is None else highest + 1
        definition = CustomFieldDefinition(
            record_type=record_type,
            key=key,
            label=data.get("label") or "",
            field_type=data.get("field_type") or "",
            options=data.get("options") or {},
            required=bool(data.get("required", False)),
            help_text=data.get("help_text") or "",
            position=position,
            searchable=bool(data.get("searchable", False)),
            show_in_lists=bool(data.get("show_in_lists", False)),
            workspace_id=actor.workspace.pk,
        )
        definition.full_clean()
        definition.save()
    return definition


def _choices_in_use(definition: CustomFieldDefinition, removed: set[str]) -> dict[str, int]:
    from rapport.customfields.query import filter_q

    model = _model_for(definition.record_type)
    counts = {}
    for value in sorted(removed):
        probe = CustomFieldDefinition(key=definition.key, field_type=definition.field_type, options=definition.options)
        operator = "contains" if definition.field_type == FieldType.MULTI_SELECT else "eq"
        records = model.all_objects.filter(workspace_id=definition.workspace_id)  # type: ignore[attr-defined]
        n = records.filter(filter_q(probe, operator, value)).count()
        if n:
            counts[value] = n
    return counts


def definition_update(
    *, actor: Actor, definition: CustomFieldDefinition, data: dict[str, Any], expected_version: int | None = None
) -> bool:
    """Change label, options, flags or position. Type changes go through :func:`definition_change_type`."""
    _check_manager(actor)
    if "key" in data and data["key"] != definition.key:
        raise ValidationError({"key": "The key of a field cannot change once it exists."})
    if "field_type" in data and data["field_type"] != definition.field_type:
        raise ValidationError({"field_type": "Change the type with the type-change step, which converts values."})
    data = {k: v for k, v in data.items() if k not in ("key", "field_type")}
    with transaction.atomic():
        if "options" in data:
            data["options"] = clean_options(definition.field_type, data["options"])
            old_values = {c["value"] for c in definition.choices}
            new_values = {c["value"] for c in data["options"].get("choices", [])}
            in_use = _choices_in_use(definition, old_values - new_values)
            if in_use:
                listed = ", ".join(f"“{v}” ({n} records)" for v, n in in_use.items())
                raise ValidationError(
                    {"options": f"These options are still used: {listed}. Change those records first."}
                )
        was_searchable = definition.searchable
        changed = core_services.record_update(
            actor=actor, record=definition, data=data, fields=EDITABLE, expected_version=expected_version
        )
    if changed and was_searchable != definition.searchable:
        _notify(_model_for(definition.record_type), definition, None)
    return changed


def definition_delete(*, actor: Actor, definition: CustomFieldDefinition, expected_version: int | None = None) -> None:
    """Move the field to the recycle bin; records keep their values, so a restore brings it back whole."""
    _check_manager(actor)
    with transaction.atomic():
        core_services.record_delete(actor=actor, record=definition, expected_version=expected_version)
        if definition.searchable:
            _notify(_model_for(definition.record_type), definition, None)


def definition_reorder(*, actor: Actor, record_type: str, keys: list[str]) -> None:
    """Put the fields of ``record_type`` in the order of ``keys`` (every live key, once)."""
    _check_manager(actor)
    with transaction.atomic():
        definitions = {
            d.key: d for d in CustomFieldDefinition.objects.select_for_update().filter(record_type=record_type.lower())
        }
        if sorted(keys) != sorted(definitions) or len(set(keys)) != len(keys):
            raise ValidationError({"keys": "List every field of this record type exactly once."})
        for position, key in enumerate(keys):
            definition = definitions[key]
            if definition.position != position:
                definition.position = position
                definition.save(update_fields=["position"])


def definition_move(*, actor: Actor, definition: CustomFieldDefinition, direction: str) -> None:
    """Move a field one place up or down among its record type's fields."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move up or down."})
    keys = list(
        CustomFieldDefinition.objects.filter(record_type=definition.record_type)
        .order_by("position", "id")
        .values_list("key", flat=True)
    )
    index = keys.index(definition.key)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(keys):
        keys[index], keys[other] = keys[other], keys[index]
    definition_reorder(actor=actor, record_type=definition.record_type, keys=keys)


def definition_preview_type(
    *, actor: Actor, definition: CustomFieldDefinition, new_type: str, new_options: dict | None = None
) -> conversion.ConversionReport:
    _check_manager(actor)
    if new_type not in FieldType.values:
        raise ValidationError({"field_type": f"“{new_type}” is not a field type."})
    return conversion.preview(definition, new_type, new_options, _model_for(definition.record_type))


def definition_change_type(
    *,
    actor: Actor,
    definition: CustomFieldDefinition,
    new_type: str,
    new_options: dict | None = None,
    clear_failures: bool = False,
    expected_version: int | None = None,
) -> conversion.ConversionReport:
    """Convert every stored value and change the type, all in one transaction.

    Refused (ValidationError, nothing written) when the types cannot convert, or when some values
    fail and ``clear_failures`` is false. Each changed record is saved, so its History keeps the
    old value.
    """
    _check_manager(actor)
    model = _model_for(definition.record_type)
    with transaction.atomic():
        locked = CustomFieldDefinition.objects.select_for_update().filter(pk=definition.pk).first()
        if locked is None:
            raise ValidationError("This field no longer exists.")
        version = expected_version if expected_version is not None else definition.version
        if locked.version != version:
            raise ConflictError(definition, locked.version)
        report = definition_preview_type(actor=actor, definition=locked, new_type=new_type, new_options=new_options)
        if report.refused:
            raise ValidationError({"field_type": report.refused})
        if report.failure_count and not clear_failures:
            raise ValidationError(
                {
                    "clear_failures": f"{report.failure_count} of {report.total} values cannot be converted. "
                    "Fix those records first, or confirm that their values are cleared."
                }
            )
        target = conversion.target_definition(locked, new_type, report.new_options)
        ctx = conversion.ValueContext.for_definitions([locked])
        changed_pks = []
        for record in conversion.records_with_values(locked, model).iterator(chunk_size=500):
            old = record.custom.get(locked.key)
            try:
                new = conversion.convert_value(locked, target, old, ctx)
            except (ValidationError, KeyError, TypeError, ValueError, IndexError):
                new = None
            custom = dict(record.custom)
            if new is None:
                custom.pop(locked.key, None)
            else:
                custom[locked.key] = new
            if custom != record.custom:
                record.custom = custom
                record.save(update_fields=["custom"])
                changed_pks.append(record.pk)
        locked.field_type = new_type
        locked.options = target.options
        locked.searchable = target.searchable
        locked.full_clean()
        locked.save()
        if definition.searchable != target.searchable:
            _notify(model, locked, None)
        elif target.searchable and changed_pks:
            _notify(model, locked, changed_pks)
    definition.refresh_from_db()
    return report


__all__ = [
    "SEARCHABLE_TYPES",
    "definition_change_type",
    "definition_create",
    "definition_delete",
    "definition_move",
    "definition_preview_type",
    "definition_reorder",
    "definition_update",
]
