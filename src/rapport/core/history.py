"""Writing and reading History rows (actor, time, source, old → new per field)."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from rapport.core.scoping import AuditContext


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def action_for(instance: models.Model) -> str:
    loaded = getattr(instance, "_loaded_values", {}) or {}
    was_deleted = loaded.get("deleted_at") is not None
    if instance.deleted_at is not None and not was_deleted:
        return "delete"
    if instance.deleted_at is None and was_deleted:
        return "restore"
    return "update"


def _write(instance: models.Model, action: str, changes: dict[str, Any], audit: AuditContext) -> models.Model:
    from rapport.core.models import RecordHistory

    actor = audit.actor if getattr(audit.actor, "pk", None) else None
    return RecordHistory.objects.create(
        workspace_id=instance.workspace_id,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        actor=actor,
        source=audit.source,
        changes=changes,
    )


def record_created(instance: models.Model, audit: AuditContext) -> None:
    changes = {
        name: [None, _jsonable(value)]
        for name, value in instance.tracked_values().items()
        if value not in (None, "", {}, [])
    }
    # kept on the instance so that what the creating service adds besides fields (e-mails, phones,
    # tags, domains) joins this one "create" row (see add_to_creation)
    instance._creation_history = _write(instance, "create", changes, audit)
    from rapport.core.models import _snapshot

    instance._loaded_values = _snapshot({**instance.tracked_values(), "deleted_at": instance.deleted_at})


def record_changed(
    instance: models.Model, action: str, changes: dict[str, tuple[Any, Any]], audit: AuditContext
) -> None:
    flat: dict[str, list[Any]] = {}
    for name, (old, new) in changes.items():
        if name == "custom":  # one History line per custom field, not the whole JSON blob
            before, after = old or {}, new or {}
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    flat[f"custom.{key}"] = [_jsonable(before.get(key)), _jsonable(after.get(key))]
        else:
            flat[name] = [_jsonable(old), _jsonable(new)]
    _write(instance, action, flat, audit)


def add_to_creation(instance: models.Model, changes: dict[str, Any], audit: AuditContext) -> None:
    """Add ``changes`` to the record's "create" History row written by this save, else write a row.

    One creation is one History entry, whatever the service saved besides the fields.
    """
    entry = getattr(instance, "_creation_history", None)
    if entry is None:
        record_event(instance, "create", changes, audit)
        return
    entry.changes = {**entry.changes, **_jsonable(changes)}
    entry.save(update_fields=["changes"])


def record_event(instance: models.Model, action: str, changes: dict[str, Any], audit: AuditContext) -> None:
    """A History row for a change that is not a plain field edit (tags added, records merged...)."""
    _write(instance, action, _jsonable(changes), audit)


def history_for(instance: models.Model) -> models.QuerySet:
    from rapport.core.models import RecordHistory

    return RecordHistory.objects.filter(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True), object_id=instance.pk
    ).select_related("actor")


def describe_changes(instance: models.Model, entries: list[Any]) -> list[dict[str, Any]]:
    """History rows as label / old / new, with foreign keys shown by name (one query per field)."""
    model = type(instance)
    fk_fields = {
        f.attname: f for f in model._meta.concrete_fields if f.is_relation and f.attname not in ("workspace_id",)
    }
    wanted: dict[str, set[Any]] = {}
    for entry in entries:
        for name, (old, new) in entry.changes.items():
            if name in fk_fields:
                wanted.setdefault(name, set()).update(v for v in (old, new) if v is not None)
    labels: dict[str, dict[Any, str]] = {}
    for name, ids in wanted.items():
        related = fk_fields[name].related_model
        labels[name] = {obj.pk: str(obj) for obj in related._base_manager.filter(pk__in=ids)}
    described = []
    for entry in entries:
        rows = []
        for name, pair in entry.changes.items():
            old, new = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
            field = fk_fields.get(name)
            label = name
            try:
                label = model._meta.get_field(name.removesuffix("_id") if field else name).verbose_name
            except Exception:
                label = name.replace("_", " ")
            if field:
                old = labels.get(name, {}).get(old, old)
                new = labels.get(name, {}).get(new, new)
            rows.append({"field": str(label), "old": old, "new": new})
        described.append({"entry": entry, "rows": rows})
    return described
