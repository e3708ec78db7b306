"""Workspaces, memberships and teams, plus the abstract base that every business record inherits.

Business records live in one workspace, keep a version for optimistic concurrency, are soft
deleted into the recycle bin, and write a History row for every create, update, delete and
restore (see :mod:`rapport.core.history`).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from rapport.core.roles import Role, Visibility
from rapport.core.scoping import UnscopedQueryError, active_workspace_id, current_audit, current_scope


class Workspace(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    default_visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.EVERYONE)
    default_region = models.CharField(
        max_length=2, default="US", help_text="Country used to read phone numbers typed without +country code."
    )
    default_currency = models.CharField(max_length=3, default="USD")
    recycle_bin_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days a deleted record stays restorable; empty means the site default."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def retention_days(self) -> int:
        return self.recycle_bin_days or settings.RECYCLE_BIN_RETENTION_DAYS


class Membership(models.Model):
    """A user's seat in a workspace, with one role and at most one team."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SALES)
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")]
        indexes = [models.Index(fields=["workspace", "team"])]
        ordering = ["workspace_id", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.get_role_display()}"

    def clean(self) -> None:
        if self.team_id and self.team.workspace_id != self.workspace_id:
            raise ValidationError({"team": "This team belongs to another workspace."})


# --- Scoped managers ------------------------------------------------------------------------


class ScopedQuerySet(models.QuerySet):
    def delete(self):
        raise TypeError(
            "Business records are soft deleted: use rapport.core.services.record_delete() "
            "(or .hard_delete() in the recycle-bin purge)."
        )

    def hard_delete(self) -> tuple[int, dict[str, int]]:
        return super().delete()


class WorkspaceManager(models.Manager):
    """Filters to the active workspace whenever scoping is enforced; refuses to run without one."""

    include_deleted = True

    def get_queryset(self) -> models.QuerySet:
        queryset = ScopedQuerySet(self.model, using=self._db)
        scope = current_scope()
        if scope.enforced:
            if scope.workspace_id is None:
                raise UnscopedQueryError(
                    f"{self.model.__name__} was queried with no active workspace. "
                    "Query through a selector inside the request's workspace, or use core.scoping.unscoped()."
                )
            queryset = queryset.filter(workspace_id=scope.workspace_id)
        if not self.include_deleted and _has_field(self.model, "deleted_at"):
            queryset = queryset.filter(deleted_at__isnull=True)
        return queryset


class LiveRecordManager(WorkspaceManager):
    """The default manager of business records: the active workspace, recycle bin excluded."""

    include_deleted = False


def _snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of loaded values in which JSON values cannot be changed in place behind our back."""
    return {k: copy.deepcopy(v) if isinstance(v, (dict, list)) else v for k, v in values.items()}


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


# --- The business record base ---------------------------------------------------------------


class ConflictError(Exception):
    """Someone saved the record after the editor loaded it; nothing was written."""

    def __init__(self, instance: models.Model, current_version: int | None):
        self.instance = instance
        self.current_version = current_version
        super().__init__(
            f"{instance._meta.verbose_name.capitalize()} was changed by someone else since you opened it "
            f"(your version {instance.version}, now {current_version}). Reload to see their changes."
        )


def _bookkeeping_user() -> models.ForeignKey:
    """Who created, last changed or deleted a record: no index and no database constraint.

    Bookkeeping written with every row and read only for display: each constraint would cost a
    lookup in the users table per row written (see docs/decisions/0003-write-path-indexes.md).
    Users are deactivated, not deleted; when one is deleted, Django's ``SET_NULL`` still clears
    these keys.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )


class WorkspaceScoped(models.Model):
    """Abstract base of every business row: workspace, bookkeeping, version, soft delete, custom values."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = _bookkeeping_user()
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = _bookkeeping_user()
    version = models.PositiveIntegerField(default=1, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deleted_by = _bookkeeping_user()
    custom = models.JSONField(default=dict, blank=True, editable=False)

    objects = LiveRecordManager()
    all_objects = WorkspaceManager()

    # Fields never shown in History: bookkeeping that changes on every save.
    history_excluded: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "workspace",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
            "version",
            "deleted_at",
            "deleted_by",
        }
    )

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    # -- snapshots for History and optimistic concurrency
    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._loaded_values = _snapshot(dict(zip(field_names, values, strict=True)))
        return instance

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def tracked_values(self) -> dict[str, Any]:
        return {
            field.attname: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if field.name not in self.history_excluded
        }

    def changed_fields(self) -> dict[str, tuple[Any, Any]]:
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            return {}
        current = self.tracked_values()
        return {name: (loaded.get(name), value) for name, value in current.items() if loaded.get(name) != value}

    # -- integrity
    def check_workspace_references(self) -> None:
        """Reject a reference to a row of another workspace, and an owner who is not a member."""
        from rapport.core.references import check_references

        check_references(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        from rapport.core import history

        audit = current_audit()
        actor = audit.actor if getattr(audit.actor, "pk", None) else None
        if self.workspace_id is None:
            self.workspace_id = active_workspace_id()
            if self.workspace_id is None:
                raise UnscopedQueryError(f"A new {self._meta.verbose_name} needs a workspace.")
        scope = current_scope()
        if scope.enforced and scope.workspace_id != self.workspace_id:
            raise UnscopedQueryError(f"{self._meta.verbose_name} belongs to another workspace than the active one.")
        self.check_workspace_references()
        now = timezone.now()
        creating = self._state.adding
        if creating:
            self.created_at = self.created_at or now
            self.created_by_id = self.created_by_id or (actor.pk if actor else None)
            self.updated_at = now
            self.updated_by_id = actor.pk if actor else self.created_by_id
            super().save(*args, **kwargs)
            history.record_created(self, audit)
            return
        changes = self.changed_fields()
        action = history.action_for(self)
        if not changes and action == "update" and not kwargs.get("force_version_bump"):
            return
        kwargs.pop("force_version_bump", None)
        self._expected_version = self.version
        self.version = self.version + 1
        self.updated_at = now
        self.updated_by_id = actor.pk if actor else self.updated_by_id
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"version", "updated_at", "updated_by"}
        try:
            super().save(*args, **kwargs)
        except ConflictError:
            self.version = self._expected_version
            raise
        history.record_changed(self, action, changes, audit)
        self._loaded_values = _snapshot({**self._loaded_values, **self.tracked_values(), "deleted_at": self.deleted_at})

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, returning_fields):
        expected = getattr(self, "_expected_version", None)
        if expected is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update, returning_fields)
        filtered = base_qs.filter(pk=pk_val, version=expected)
        updated = filtered._update(values, returning_fields)
        if not updated:
            current = base_qs.filter(pk=pk_val).values_list("version", flat=True).first()
            if current is not None:
                raise ConflictError(self, current)
        return updated

    def delete(self, *args: Any, **kwargs: Any):
        raise TypeError("Use rapport.core.services.record_delete(): business records go to the recycle bin.")


class OwnedRecord(WorkspaceScoped):
    """A business record with an owner; visibility and edit rights follow ownership (core.permissions)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(WorkspaceScoped.Meta):
        abstract = True


class Team(WorkspaceScoped):
    name = models.CharField(max_length=120)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], condition=models.Q(deleted_at__isnull=True), name="team_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


# --- History and the security log ----------------------------------------------------------


class HistorySource(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    IMPORT = "import", "Import"
    TASK = "task", "Background task"
    SYSTEM = "system", "System"


class RecordHistory(models.Model):
    """One create, update, delete or restore of a business record, with old → new per field."""

    # Append-only log written with every change: no database foreign keys and no single-column
    # indexes (history_record_idx serves every read); see docs/decisions/0003-write-path-indexes.md.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200)
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    source = models.CharField(max_length=16, choices=HistorySource.choices)
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "content_type", "object_id", "-at"], name="history_record_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr} at {self.at:%Y-%m-%d %H:%M}"


class SecurityEvent(models.Model):
    """Append-only security log: logins, MFA changes, role changes, exports, API tokens.

    The database refuses UPDATE and DELETE on this table (triggers in the migration).
    """

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    kind = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-at"], name="security_ws_at_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("The security log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        raise TypeError("The security log is append-only.")
