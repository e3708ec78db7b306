"""Writes shared by every business record: update with a version check, delete, restore, purge."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from rapport.core.models import ConflictError, WorkspaceScoped
from rapport.core.permissions import Actor, can_change, can_restore


def record_update(
    *,
    actor: Actor,
    record: WorkspaceScoped,
    data: dict[str, Any],
    fields: Iterable[str],
    expected_version: int | None = None,
) -> bool:
    """Copy the allowed ``fields`` from ``data``, validate, save with a version check.

    Returns whether anything changed. A field in ``data`` that is not allowed is an error,
    never silently dropped.
    """
    allowed = set(fields)
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    if not can_change(actor, record):
        raise PermissionDenied("You may not change this record.")
    if expected_version is not None and expected_version != record.version:
        raise ConflictError(record, record.version)
    for name, value in data.items():
        setattr(record, name, value)
    record.full_clean()
    if not record.changed_fields():
        return False
    with transaction.atomic():
        record.save()
    return True


def record_delete(*, actor: Actor, record: WorkspaceScoped, expected_version: int | None = None) -> None:
    """Move a record to the recycle bin (restorable for the workspace's retention period)."""
    if not can_change(actor, record):
        raise PermissionDenied("You may not delete this record.")
    if expected_version is not None and expected_version != record.version:
        raise ConflictError(record, record.version)
    with transaction.atomic():
        record.deleted_at = timezone.now()
        record.deleted_by_id = actor.user.pk
        record.save()


def record_restore(*, actor: Actor, record: WorkspaceScoped) -> None:
    if not can_restore(actor, record):
        raise PermissionDenied("Only owners and admins restore records from the recycle bin.")
    if record.deleted_at is None:
        raise ValidationError("This record is not in the recycle bin.")
    if record.deleted_at < timezone.now() - timedelta(days=actor.workspace.retention_days):
        raise ValidationError("This record was deleted too long ago to be restored.")
    from rapport.core.registry import registry

    route = registry.restore_routes(actor, type(record), [record]).get(record.pk)
    if route is not None:
        raise ValidationError(f"{route.reason}: use “{route.action_label}” to bring it back with everything it had.")
    with transaction.atomic():
        record.deleted_at = None
        record.deleted_by = None
        record.save()


def purge_expired(models_to_purge: Iterable[type[WorkspaceScoped]], *, now=None) -> int:
    """Hard-delete records whose time in the recycle bin is over. Runs across workspaces."""
    from rapport.core.models import Workspace
    from rapport.core.scoping import unscoped

    now = now or timezone.now()
    purged = 0
    with unscoped():
        for workspace in Workspace.objects.all().only("id", "recycle_bin_days"):
            cutoff = now - timedelta(days=workspace.retention_days)
            for model in models_to_purge:
                with transaction.atomic():
                    expired = model.all_objects.filter(workspace=workspace, deleted_at__lt=cutoff)
                    count, _ = expired.hard_delete()
                    purged += count if isinstance(count, int) else 0
    return purged


def business_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, WorkspaceScoped)]
