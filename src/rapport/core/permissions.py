"""The one answer to "what may this user see and change".

HTML views, the API, search and exports all start from :class:`Actor` and the functions here,
so a rule changed here changes everywhere.

Rules (documented in docs/permissions.md):
- owner and admin see and change every record of the workspace;
- everyone else sees the records their workspace's *default visibility* allows —
  private: records they own; team: records owned by anyone in their team; everyone: all —
  plus unowned records (a shared pool), plus, for a manager, records owned by members of the
  teams they manage;
- the same scope decides who may change and delete, except that read-only members change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.db import models
from django.http import Http404

from rapport.core.models import Membership, OwnedRecord, Team, Workspace, WorkspaceScoped
from rapport.core.roles import ADMIN_ROLES, Role, Visibility, role_can


@dataclass
class Actor:
    """Who acts, in which workspace, with which role. Built once per request or task."""

    user: object
    workspace: Workspace
    membership: Membership
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def can_write(self) -> bool:
        return self.role != Role.READ_ONLY and "write" in self.scopes

    def can(self, capability: str) -> bool:
        if capability != "records.see_all" and not capability.endswith(".view") and "write" not in self.scopes:
            return False
        return role_can(self.role, capability)

    @cached_property
    def managed_team_ids(self) -> list[int]:
        return list(Team.objects.filter(manager_id=self.user.pk).values_list("id", flat=True))

    @cached_property
    def scope_user_ids(self) -> set[int] | None:
        """Owners whose records this actor sees; None means all of them."""
        if self.is_admin or self.workspace.default_visibility == Visibility.EVERYONE:
            return None
        team_ids = set(self.managed_team_ids)
        if self.workspace.default_visibility == Visibility.TEAM and self.membership.team_id:
            team_ids.add(self.membership.team_id)
        ids = {self.user.pk}
        if team_ids:
            ids.update(
                Membership.objects.filter(workspace=self.workspace, team_id__in=team_ids).values_list(
                    "user_id", flat=True
                )
            )
        return ids


def actor_for(user, workspace: Workspace, scopes: frozenset[str] | None = None) -> Actor | None:
    membership = (
        Membership.objects.filter(user=user, workspace=workspace, is_active=True).select_related("workspace").first()
    )
    if membership is None:
        return None
    return Actor(
        user=user, workspace=membership.workspace, membership=membership, scopes=scopes or frozenset({"read", "write"})
    )


def _owner_q(actor: Actor, prefix: str = "") -> models.Q:
    ids = actor.scope_user_ids
    if ids is None:
        return models.Q()
    return models.Q(**{f"{prefix}owner_id__in": ids}) | models.Q(**{f"{prefix}owner__isnull": True})


def visible(queryset: models.QuerySet, actor: Actor) -> models.QuerySet:
    """Limit a queryset of business records to what the actor may see (workspace first)."""
    queryset = queryset.filter(workspace_id=actor.workspace.pk)
    if issubclass(queryset.model, OwnedRecord):
        queryset = queryset.filter(_owner_q(actor))
    return queryset


def changeable(queryset: models.QuerySet, actor: Actor) -> models.QuerySet:
    if not actor.can_write:
        return queryset.none()
    return visible(queryset, actor)


def can_view(actor: Actor, record: WorkspaceScoped) -> bool:
    if record.workspace_id != actor.workspace.pk:
        return False
    if isinstance(record, OwnedRecord):
        ids = actor.scope_user_ids
        return ids is None or record.owner_id is None or record.owner_id in ids
    return True


def can_change(actor: Actor, record: WorkspaceScoped) -> bool:
    return actor.can_write and can_view(actor, record)


def can_restore(actor: Actor, record: WorkspaceScoped) -> bool:
    return actor.can("recycle_bin.restore") and record.workspace_id == actor.workspace.pk


def get_visible_or_404(model: type[WorkspaceScoped], actor: Actor, pk, *, for_change: bool = False):
    """The first line of every record view: the record if the actor may see (or change) it, else 404."""
    queryset = visible(model.objects.all(), actor)
    try:
        record = queryset.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {model._meta.verbose_name}.") from None
    if for_change and not can_change(actor, record):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(f"You may view this {model._meta.verbose_name} but not change it.")
    return record
