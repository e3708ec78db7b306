"""Reads for the members, teams, invitations and security-log pages, limited to the actor's workspace."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.http import Http404

from rapport.accounts.models import Invitation
from rapport.core.models import Membership, SecurityEvent, Team
from rapport.core.permissions import Actor, get_visible_or_404, visible
from rapport.core.security import SecurityKind


def members(actor: Actor) -> models.QuerySet[Membership]:
    """Everyone with a seat in the workspace, active members first."""
    return (
        Membership.objects.filter(workspace_id=actor.workspace.pk)
        .select_related("user", "team")
        .order_by("-is_active", "user__email")
    )


def member_or_404(actor: Actor, pk: int) -> Membership:
    membership = members(actor).filter(pk=pk).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


def open_invitations(actor: Actor) -> models.QuerySet[Invitation]:
    """Invitations not yet accepted or revoked (expired ones included, so they can be resent)."""
    return (
        Invitation.objects.filter(workspace_id=actor.workspace.pk, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("team", "invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_or_404(actor: Actor, pk: int) -> Invitation:
    invitation = Invitation.objects.filter(workspace_id=actor.workspace.pk, pk=pk).select_related("team").first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def teams(actor: Actor) -> models.QuerySet[Team]:
    return (
        visible(Team.objects.all(), actor)
        .select_related("manager")
        .annotate(member_count=models.Count("memberships", filter=models.Q(memberships__is_active=True)))
        .order_by("name")
    )


def team_or_404(actor: Actor, pk: int) -> Team:
    return get_visible_or_404(Team, actor, pk)


def member_users(actor: Actor, *, active_only: bool = True):
    """Users with a seat, for manager and filter choices."""
    from rapport.accounts.models import User

    seats = Membership.objects.filter(workspace_id=actor.workspace.pk)
    if active_only:
        seats = seats.filter(is_active=True)
    return User.objects.filter(pk__in=seats.values("user_id")).order_by("full_name", "email")


# --- Security log ------------------------------------------------------------------------------

SECURITY_KINDS: tuple[str, ...] = tuple(
    sorted(value for name, value in vars(SecurityKind).items() if name.isupper() and isinstance(value, str))
)
PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the (at, id) of the last row shown; the next page starts after it."""

    at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        """The cursor in ``value``, or None when it is missing or not one we made."""
        if not value or len(value) > 100:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            at, _, pk = raw.partition("|")
            parsed = datetime.fromisoformat(at)
            if parsed.tzinfo is None:
                return None
            return cls(at=parsed, id=int(pk))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


def security_events(
    actor: Actor, *, kind: str | None = None, user_id: int | None = None
) -> models.QuerySet[SecurityEvent]:
    """The workspace's security log, newest first; other workspaces' events never appear."""
    queryset = SecurityEvent.objects.filter(workspace_id=actor.workspace.pk)
    if kind:
        queryset = queryset.filter(kind=kind)
    if user_id:
        queryset = queryset.filter(user_id=user_id)
    return queryset.select_related("user").order_by("-at", "-id")


def security_events_page(
    actor: Actor, *, kind: str | None = None, user_id: int | None = None, after: Cursor | None = None
) -> tuple[list[SecurityEvent], Cursor | None]:
    """One page of the log and the cursor of the next page (None on the last page)."""
    queryset = security_events(actor, kind=kind, user_id=user_id)
    if after is not None:
        queryset = queryset.filter(models.Q(at__lt=after.at) | models.Q(at=after.at, id__lt=after.id))
    rows = list(queryset[: PAGE_SIZE + 1])
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        return rows, Cursor(at=rows[-1].at, id=rows[-1].pk)
    return rows, None
