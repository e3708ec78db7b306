"""Cross-workspace reference checks run on every save of a business record."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def _is_user_model(model: type[models.Model]) -> bool:
    return model._meta.label == settings.AUTH_USER_MODEL


def check_references(instance: models.Model) -> None:
    """Raise ValidationError when a foreign key points into another workspace.

    A reference to a workspace-scoped row must share the workspace; a reference to a user
    (owner, assignee, manager...) must name an active member of the workspace. Bookkeeping
    user columns (created_by...) are written by the system and not checked.
    """
    from rapport.core.models import Membership, WorkspaceScoped

    errors: dict[str, str] = {}
    for field in instance._meta.concrete_fields:
        if not field.is_relation or field.name in WorkspaceScoped.history_excluded:
            continue
        value = getattr(instance, field.attname)
        if value is None:
            continue
        loaded = getattr(instance, "_loaded_values", None)
        if loaded is not None and loaded.get(field.attname) == value:
            continue  # unchanged since it was read, so it was checked when written
        target = field.related_model
        if _is_user_model(target):
            is_member = Membership.objects.filter(
                workspace_id=instance.workspace_id, user_id=value, is_active=True
            ).exists()
            if not is_member:
                errors[field.name] = "This user is not a member of the workspace."
        elif issubclass(target, WorkspaceScoped):
            cached = field.get_cached_value(instance, default=None)
            workspace_id = (
                cached.workspace_id
                if cached is not None and cached.pk == value
                else target._base_manager.filter(pk=value).values_list("workspace_id", flat=True).first()
            )
            if workspace_id != instance.workspace_id:
                errors[field.name] = f"No such {target._meta.verbose_name} in this workspace."
    if errors:
        raise ValidationError(errors)
