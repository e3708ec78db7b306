"""Bulk actions on a selection of contacts or companies, and CSV export.

A bulk action is all or nothing: when the actor may not change every selected record, nothing
changes and the error says how many were refused. Each changed record gets its own History
entry and a new version, so a stale editor elsewhere still sees a conflict.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from rapport.contacts import services
from rapport.contacts.listing import ListSpec
from rapport.contacts.models import Contact, LifecycleStage
from rapport.core import services as core_services
from rapport.core.permissions import Actor, changeable, visible
from rapport.tags import services as tag_services

BULK_LIMIT = 1000
EXPORT_LIMIT = 100_000
ACTIONS = ("owner", "lifecycle_stage", "add_tags", "remove_tags", "delete")


def selected(actor: Actor, model: type[models.Model], ids: Sequence[Any]) -> list[Any]:
    """The selected records, all changeable by the actor, or PermissionDenied (nothing done)."""
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise ValidationError({"ids": "Selected ids must be numbers."}) from None
    if not wanted:
        raise ValidationError({"ids": "Select at least one record."})
    if len(wanted) > BULK_LIMIT:
        raise ValidationError({"ids": f"Select at most {BULK_LIMIT:,} records at a time."})
    records = list(changeable(model.objects.all(), actor).filter(pk__in=wanted).order_by("pk"))
    refused = len(wanted) - len(records)
    if refused:
        raise PermissionDenied(
            f"You may not change {refused} of the {len(wanted)} selected {model._meta.verbose_name_plural}; "
            "nothing was changed."
        )
    return records


def bulk_apply(
    *,
    actor: Actor,
    model: type[models.Model],
    ids: Sequence[Any],
    action: str,
    value: Any = None,
    actions: Sequence[str] = ACTIONS,
    update: Callable[[Actor, Any, dict[str, Any]], bool] | None = None,
) -> int:
    """Run one bulk action; returns how many records changed.

    Another app's record type passes the ``actions`` it offers and ``update(actor, record, data)``,
    its service that changes one field (contacts and companies use theirs by default).
    """
    if action not in actions:
        raise ValidationError({"action": f"Choose one of: {', '.join(actions)}."})
    records = selected(actor, model, ids)
    with transaction.atomic():
        if action == "delete":
            for record in records:
                core_services.record_delete(actor=actor, record=record)
            return len(records)
        if action in ("add_tags", "remove_tags"):
            names = value if isinstance(value, list) else [v for v in str(value or "").split(",") if v.strip()]
            if not names:
                raise ValidationError({"value": "Name at least one tag."})
            tags = tag_services.resolve_tags(actor=actor, values=names, create_missing=action == "add_tags")
            change = tag_services.add_tags if action == "add_tags" else tag_services.remove_tags
            changed = change(actor=actor, records=records, tags=tags)
            if changed:
                _bump_versions(model, [r.pk for r in records])
            return changed
        return _set_field(actor, model, records, action, value, update)


def _default_update(model: type[models.Model]) -> Callable[[Actor, Any, dict[str, Any]], bool]:
    if model is Contact:
        return lambda actor, record, data: services.contact_update(actor=actor, contact=record, data=data)
    return lambda actor, record, data: services.company_update(actor=actor, company=record, data=data)


def _set_field(
    actor: Actor,
    model: type[models.Model],
    records: list[Any],
    name: str,
    value: Any,
    update: Callable[[Actor, Any, dict[str, Any]], bool] | None,
) -> int:
    if name == "lifecycle_stage" and value not in LifecycleStage.values:
        raise ValidationError({"value": f"Choose one of: {', '.join(LifecycleStage.values)}."})
    if name == "owner":
        value = int(value) if str(value or "").isdigit() else None
    update = update or _default_update(model)
    changed = 0
    for record in records:
        if update(actor, record, {name: value}):
            changed += 1
    return changed


def _bump_versions(model: type[models.Model], ids: list[int]) -> None:
    """Tags changed without a field edit: move versions on so stale forms notice."""
    from django.utils import timezone

    from rapport.core.scoping import current_audit

    model._base_manager.filter(pk__in=ids).update(
        version=models.F("version") + 1,
        updated_at=timezone.now(),
        updated_by_id=getattr(current_audit().actor, "pk", None),
    )


# --- export ---------------------------------------------------------------------------------------

#: Set by rapport.exports (AppConfig.ready): takes over list exports that are large or not plain CSV
#: (Excel, vCard) and builds them in the background; returns None to let the CSV stream below serve.
export_handler: Any = None

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; a leading ' makes them text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell_text(column: Any, record: Any) -> str:
    value = column.display(record) if column.display else ""
    if column.kind == "tags":
        return ", ".join(t.name for t in value)
    if column.kind == "record":
        return value[0] if value else ""
    return "" if value is None else str(value)


def export_rows(spec: ListSpec, columns: list[str], queryset: models.QuerySet, chunk: int = 1000) -> Iterator[str]:
    """CSV text, chunk by chunk (keyset over ids, so memory stays flat on large exports)."""
    chosen = [spec.columns[key] for key in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", *[c.label for c in chosen]])
    yield buffer.getvalue()
    last_id = 0
    sent = 0
    from rapport.tags.models import TaggedItem

    while sent < EXPORT_LIMIT:
        rows = list(
            queryset.filter(pk__gt=last_id)
            .order_by("pk")
            .prefetch_related(
                models.Prefetch(
                    "tagged_items", queryset=TaggedItem.objects.select_related("tag"), to_attr="prefetched_tags"
                )
            )[:chunk]
        )
        if not rows:
            break
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for record in rows:
            writer.writerow([record.pk, *[neutralise(_cell_text(c, record)) for c in chosen]])
        yield buffer.getvalue()
        last_id = rows[-1].pk
        sent += len(rows)


def export_queryset(actor: Actor, model: type[models.Model], ids: Sequence[Any] | None) -> models.QuerySet:
    if not actor.can("records.export"):
        raise PermissionDenied("Your role may not export records.")
    queryset = visible(model.objects.all(), actor)
    if ids:
        queryset = queryset.filter(pk__in=[int(i) for i in ids if str(i).isdigit()])
    related = ("owner", "company") if model is Contact else ("owner", "parent")
    return queryset.select_related(*related)
