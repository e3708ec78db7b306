"""Helpers shared by the sales services: permission checks, guarded field updates, numbering."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from rapport.core.history import record_event
from rapport.core.models import ConflictError, WorkspaceScoped
from rapport.core.permissions import Actor, can_change
from rapport.core.scoping import active_workspace_id, current_audit


def require(actor: Actor, capability: str, message: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied(message)


def require_change(actor: Actor, record: WorkspaceScoped) -> None:
    if not can_change(actor, record):
        raise PermissionDenied(f"You may not change this {record._meta.verbose_name}.")


def check_version(record: WorkspaceScoped, expected_version: int | None) -> None:
    """Refuse a change prepared on an older version of the record (nothing is written)."""
    if expected_version is not None and int(expected_version) != record.version:
        raise ConflictError(record, record.version)


def reject_unknown(data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))


def apply_fields(record: models.Model, data: dict[str, Any], *, exclude: Iterable[str] = ()) -> None:
    """Copy ``data`` onto the record and validate it; ValidationError names each bad field."""
    if getattr(record, "workspace_id", "n/a") is None:
        record.workspace_id = active_workspace_id()
    for name, value in data.items():
        setattr(record, name, value)
    record.full_clean(exclude=list(exclude), validate_unique=True, validate_constraints=True)


def touch(record: WorkspaceScoped) -> None:
    """Move the record's version on (its parts changed), with the same optimistic check as save()."""
    audit = current_audit()
    actor_id = getattr(audit.actor, "pk", None)
    model = type(record)
    now = timezone.now()
    updated = model.all_objects.filter(pk=record.pk, version=record.version).update(
        version=models.F("version") + 1, updated_at=now, updated_by_id=actor_id or record.updated_by_id
    )
    if not updated:
        current = model.all_objects.filter(pk=record.pk).values_list("version", flat=True).first()
        raise ConflictError(record, current)
    record.version += 1
    record.updated_at = now
    if record._loaded_values is not None:
        record._loaded_values["version"] = record.version


def event(record: WorkspaceScoped, changes: dict[str, Any]) -> None:
    """A History line for something that is not a plain field edit (a line added, a status move)."""
    record_event(record, "update", changes, current_audit())


def next_number(kind: str) -> int:
    """The next document number of ``kind`` in the active workspace; never repeats.

    PostgreSQL locks the counter row (``SELECT … FOR UPDATE``) until the transaction ends, so a
    concurrent creator waits and then reads the incremented value. SQLite runs write transactions
    as ``BEGIN IMMEDIATE`` (see settings), which serialises writers at the start of the transaction.
    A number is used only if the document that took it is committed: a failed creation rolls the
    counter back with it.
    """
    from rapport.sales.models import NumberSequence

    workspace_id = active_workspace_id()
    with transaction.atomic():
        sequences = NumberSequence.objects.select_for_update().filter(workspace_id=workspace_id, kind=kind)
        if not sequences.exists():
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(workspace_id=workspace_id, kind=kind, last_value=0)
            except IntegrityError:
                pass  # created concurrently; the locking read below waits for it
        sequence = sequences.get()
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        return sequence.last_value
