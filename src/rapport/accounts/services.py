"""The only writes to memberships, invitations, teams and workspace settings.

Each service takes the acting :class:`~rapport.core.permissions.Actor` explicitly, checks what
the actor's role allows, runs in one transaction and writes the security log. ``request`` is
optional and only adds the IP address and browser to security-log entries.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.iso import normalize_code, validate_currency, validate_phone_region
from rapport.accounts.models import Invitation, User
from rapport.core.models import Membership, Team, Workspace
from rapport.core.permissions import Actor
from rapport.core.roles import Role, Visibility
from rapport.core.security import SecurityKind, log_security_event
from rapport.core.services import record_delete, record_update

# Where the invitation link opened before login or signup is remembered (the raw token).
INVITATION_SESSION_KEY = "rapport_invitation_token"


class InvitationError(Exception):
    """An invitation link that cannot be used (expired, revoked, used, or for someone else)."""


def _require(actor: Actor, capability: str, message: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied(message)


def _log(kind: str, actor: Actor, request: HttpRequest | None, **details: Any) -> None:
    log_security_event(kind, request=request, user=actor.user, workspace=actor.workspace, **details)


def _check_same_workspace(actor: Actor, membership: Membership) -> None:
    if membership.workspace_id != actor.workspace.pk:
        raise PermissionDenied("This person is not a member of your workspace.")


def _locked_seat(membership: Membership) -> Membership:
    """The seat, re-read under a row lock, after locking the workspace's owner seats in a fixed order.

    Two owners demoting each other at once then queue instead of both passing the last-owner check
    (or deadlocking on PostgreSQL).
    """
    owner_seats = Membership.objects.select_for_update().filter(workspace_id=membership.workspace_id, role=Role.OWNER)
    list(owner_seats.order_by("pk").values_list("pk", flat=True))
    return Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=membership.pk)


def _other_active_owners(membership: Membership) -> int:
    """Active owners besides ``membership`` (their seats are locked by :func:`_locked_seat`)."""
    owners = Membership.objects.filter(workspace_id=membership.workspace_id, role=Role.OWNER, is_active=True)
    return owners.exclude(pk=membership.pk).count()


def _protect_owner(actor: Actor, membership: Membership, *, field: str, what: str) -> None:
    """Only owners touch an owner's seat, and the last active owner keeps it."""
    if membership.role != Role.OWNER:
        return
    _require(actor, "members.manage_owners", f"Only owners may {what} an owner.")
    if membership.is_active and _other_active_owners(membership) == 0:
        raise ValidationError(
            {field: "The workspace needs at least one owner: make someone else owner first."}, code="last_owner"
        )


# --- Members -----------------------------------------------------------------------------------


def membership_change_role(
    *, actor: Actor, membership: Membership, role: str, request: HttpRequest | None = None
) -> bool:
    """Give a member another role. Returns whether the role changed."""
    _require(actor, "members.manage", "Only owners and admins change roles.")
    _check_same_workspace(actor, membership)
    if role not in Role.values:
        raise ValidationError({"role": "Choose one of the listed roles."})
    old = membership.role
    if old == role:
        return False
    if role == Role.OWNER:
        _require(actor, "members.manage_owners", "Only owners grant the owner role.")
    with transaction.atomic():
        membership = _locked_seat(membership)
        old = membership.role
        _protect_owner(actor, membership, field="role", what="demote")
        membership.role = role
        membership.save(update_fields=["role"])
        _log(
            SecurityKind.ROLE_CHANGED,
            actor,
            request,
            member=membership.user.email,
            member_id=membership.user_id,
            old_role=old,
            new_role=role,
        )
    return True


def membership_change_team(*, actor: Actor, membership: Membership, team: Team | None) -> bool:
    """Move a member to another team (or to none). Returns whether the team changed."""
    _require(actor, "members.manage", "Only owners and admins move members between teams.")
    _check_same_workspace(actor, membership)
    if team is not None and (team.workspace_id != actor.workspace.pk or team.deleted_at is not None):
        raise ValidationError({"team": "No such team in this workspace."})
    new_id = team.pk if team else None
    if membership.team_id == new_id:
        return False
    with transaction.atomic():
        membership.team_id = new_id
        membership.save(update_fields=["team"])
    return True


def member_update(
    *,
    actor: Actor,
    membership: Membership,
    role: str,
    team: Team | None,
    request: HttpRequest | None = None,
) -> bool:
    """Role and team together, all or nothing (the edit form)."""
    with transaction.atomic():
        changed = membership_change_role(actor=actor, membership=membership, role=role, request=request)
        membership.refresh_from_db()
        changed = membership_change_team(actor=actor, membership=membership, team=team) or changed
    return changed


def member_deactivate(*, actor: Actor, membership: Membership, request: HttpRequest | None = None) -> None:
    """Take away a member's access but keep their seat, so their records keep a known owner."""
    _require(actor, "members.manage", "Only owners and admins deactivate members.")
    _check_same_workspace(actor, membership)
    if not membership.is_active:
        return
    with transaction.atomic():
        membership = _locked_seat(membership)
        _protect_owner(actor, membership, field="__all__", what="deactivate")
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        _log(SecurityKind.MEMBER_DEACTIVATED, actor, request, member=membership.user.email, role=membership.role)


def member_reactivate(*, actor: Actor, membership: Membership, request: HttpRequest | None = None) -> None:
    _require(actor, "members.manage", "Only owners and admins reactivate members.")
    _check_same_workspace(actor, membership)
    if membership.role == Role.OWNER:
        _require(actor, "members.manage_owners", "Only owners may reactivate an owner.")
    if membership.is_active:
        return
    with transaction.atomic():
        membership.is_active = True
        membership.save(update_fields=["is_active"])
        _log(SecurityKind.MEMBER_REACTIVATED, actor, request, member=membership.user.email, role=membership.role)


def member_remove(*, actor: Actor, membership: Membership, request: HttpRequest | None = None) -> None:
    """Remove a member from the workspace. Teams they managed are left without a manager."""
    _require(actor, "members.manage", "Only owners and admins remove members.")
    _check_same_workspace(actor, membership)
    with transaction.atomic():
        membership = _locked_seat(membership)
        _protect_owner(actor, membership, field="__all__", what="remove")
        user = membership.user
        for team in Team.objects.filter(manager_id=user.pk):
            team.manager = None
            team.save()
        role = membership.role
        membership.delete()
        if user.last_workspace_id == actor.workspace.pk:
            User.objects.filter(pk=user.pk).update(last_workspace=None)
        _log(SecurityKind.MEMBER_REMOVED, actor, request, member=user.email, member_id=user.pk, role=role)


# --- Invitations -------------------------------------------------------------------------------


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, Invitation.hash_token(token)


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation_accept", kwargs={"token": token})


def _send_invitation(invitation: Invitation, token: str, inviter: Any) -> None:
    context = {
        "invitation": invitation,
        "workspace": invitation.workspace,
        "inviter": inviter,
        "role": invitation.get_role_display(),
        "url": invitation_url(token),
        "valid_days": Invitation.VALID_DAYS,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(subject, body, None, [invitation.email])


def _clean_invitation_input(actor: Actor, email: str, role: str, team: Team | None) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    if role not in Role.values:
        raise ValidationError({"role": "Choose one of the listed roles."})
    if role == Role.OWNER and not actor.can("members.manage_owners"):
        raise ValidationError({"role": "Only owners may invite another owner."})
    if team is not None and (team.workspace_id != actor.workspace.pk or team.deleted_at is not None):
        raise ValidationError({"team": "No such team in this workspace."})
    existing = Membership.objects.filter(workspace=actor.workspace, user__email__iexact=email).first()
    if existing is not None:
        state = "already a member" if existing.is_active else "a deactivated member: reactivate them instead"
        raise ValidationError({"email": f"{email} is {state}."})
    return email


def invitation_create(
    *,
    actor: Actor,
    email: str,
    role: str,
    team: Team | None = None,
    request: HttpRequest | None = None,
) -> tuple[Invitation, str]:
    """Invite a person by email; returns the invitation and the link's token (only ever in the email).

    The email is sent inside the transaction: if it cannot be sent, no invitation is left behind.
    """
    _require(actor, "members.manage", "Only owners and admins invite people.")
    email = _clean_invitation_input(actor, email, role, team)
    now = timezone.now()
    with transaction.atomic():
        open_invitations = Invitation.objects.select_for_update().filter(
            workspace=actor.workspace, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        )
        for invitation in open_invitations:
            if invitation.expires_at > now:
                raise ValidationError(
                    {"email": f"{email} already has a pending invitation; resend it from the members page."}
                )
            invitation.revoked_at = now  # expired: close it so a new one can be opened
            invitation.save(update_fields=["revoked_at"])
        token, token_hash = _new_token()
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    workspace=actor.workspace,
                    email=email,
                    role=role,
                    team=team,
                    token_hash=token_hash,
                    invited_by=actor.user,
                    created_at=now,
                    expires_at=now + timedelta(days=Invitation.VALID_DAYS),
                )
        except IntegrityError:
            raise ValidationError({"email": f"{email} already has a pending invitation."}) from None
        _send_invitation(invitation, token, actor.user)
        _log(
            SecurityKind.MEMBER_INVITED,
            actor,
            request,
            email=email,
            role=role,
            team=team.name if team else None,
        )
    return invitation, token


def invitation_resend(
    *, actor: Actor, invitation: Invitation, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Send a fresh link (the old one stops working) valid for another full period."""
    _require(actor, "members.manage", "Only owners and admins resend invitations.")
    if invitation.workspace_id != actor.workspace.pk:
        raise PermissionDenied("This invitation belongs to another workspace.")
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation was already accepted or revoked.")
    if invitation.role == Role.OWNER:
        _require(actor, "members.manage_owners", "Only owners resend an invitation to become owner.")
    now = timezone.now()
    with transaction.atomic():
        token, invitation.token_hash = _new_token()
        invitation.expires_at = now + timedelta(days=Invitation.VALID_DAYS)
        invitation.save(update_fields=["token_hash", "expires_at"])
        _send_invitation(invitation, token, actor.user)
        _log(SecurityKind.MEMBER_INVITED, actor, request, email=invitation.email, role=invitation.role, resent=True)
    return invitation, token


def invitation_revoke(*, actor: Actor, invitation: Invitation, request: HttpRequest | None = None) -> None:
    _require(actor, "members.manage", "Only owners and admins revoke invitations.")
    if invitation.workspace_id != actor.workspace.pk:
        raise PermissionDenied("This invitation belongs to another workspace.")
    if invitation.accepted_at:
        raise ValidationError("This invitation was already accepted; remove the member instead.")
    if invitation.revoked_at:
        return
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _log(SecurityKind.INVITATION_REVOKED, actor, request, email=invitation.email, role=invitation.role)


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state (None when the token is unknown)."""
    if not token or len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("workspace", "team", "invited_by")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )


def invitation_problem(invitation: Invitation | None, user: Any | None = None) -> str | None:
    """Why this link cannot be used (by ``user``, when given), or None when it can."""
    if invitation is None:
        return "This invitation link is not valid. Check that you copied the whole link from the email."
    status = invitation.status
    if status == "accepted":
        return "This invitation was already used. Log in to reach the workspace."
    if status == "revoked":
        return "This invitation was withdrawn. Ask the person who invited you for a new one."
    if status == "expired":
        return "This invitation has expired. Ask the person who invited you to send a new one."
    if user is not None and user.email.lower() != invitation.email:
        return (
            f"This invitation is for {invitation.email}, but you are logged in as {user.email}. "
            "Log out, then open the link again."
        )
    return None


def invitation_accept(*, invitation: Invitation, user: Any, request: HttpRequest | None = None) -> Membership:
    """Join the invitation's workspace as ``user``; the link proved they own the invited address."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",)).select_related("workspace", "team").get(pk=invitation.pk)
        )
        problem = invitation_problem(invitation, user)
        if problem:
            raise InvitationError(problem)
        existing = Membership.objects.filter(workspace=invitation.workspace, user=user).first()
        if existing is not None and not existing.is_active:
            raise InvitationError("Your membership in this workspace was deactivated. Ask an admin to reactivate it.")
        team = invitation.team if invitation.team and invitation.team.deleted_at is None else None
        membership = existing or Membership.objects.create(
            user=user, workspace=invitation.workspace, role=invitation.role, team=team
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        User.objects.filter(pk=user.pk).update(last_workspace=invitation.workspace)
        user.last_workspace = invitation.workspace
        log_security_event(
            SecurityKind.MEMBER_JOINED,
            request=request,
            user=user,
            workspace=invitation.workspace,
            role=membership.role,
            invited_by=getattr(invitation.invited_by, "email", None),
        )
    return membership


# --- Teams -------------------------------------------------------------------------------------


def _check_team_name(actor: Actor, name: str, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    clash = Team.objects.filter(workspace=actor.workspace, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a team called “{name}”."})
    return name


def team_create(*, actor: Actor, name: str, manager: Any | None = None) -> Team:
    """Create a team; its manager, when given, must be an active member (checked on save)."""
    _require(actor, "teams.manage", "Only owners and admins create teams.")
    with transaction.atomic():
        team = Team(workspace=actor.workspace, name=_check_team_name(actor, name), manager=manager)
        team.save()
    return team


def team_update(
    *, actor: Actor, team: Team, name: str, manager: Any | None, expected_version: int | None = None
) -> bool:
    _require(actor, "teams.manage", "Only owners and admins change teams.")
    name = _check_team_name(actor, name, exclude_pk=team.pk)
    with transaction.atomic():
        return record_update(
            actor=actor,
            record=team,
            data={"name": name, "manager": manager},
            fields=("name", "manager"),
            expected_version=expected_version,
        )


def team_delete(*, actor: Actor, team: Team) -> None:
    """Move a team to the recycle bin; a team that still has members is refused, not emptied."""
    _require(actor, "teams.manage", "Only owners and admins delete teams.")
    members = Membership.objects.filter(workspace=actor.workspace, team=team).count()
    if members:
        raise ValidationError(
            f"“{team.name}” still has {members} member{'s' if members != 1 else ''}: move them to another team first."
        )
    record_delete(actor=actor, record=team)


# --- Workspace settings ------------------------------------------------------------------------

WORKSPACE_FIELDS = ("name", "default_visibility", "default_region", "default_currency", "recycle_bin_days")
MAX_RETENTION_DAYS = 3650


def _clean_workspace_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(WORKSPACE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This setting cannot be changed here."))
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}

    def check(field: str, func) -> None:
        if field not in data:
            return
        try:
            cleaned[field] = func(data[field])
        except ValidationError as exc:
            errors[field] = exc.error_list

    def name(value):
        value = (value or "").strip()
        if not value:
            raise ValidationError("The workspace needs a name.")
        if len(value) > 120:
            raise ValidationError("Use at most 120 characters.")
        return value

    def visibility(value):
        if value not in Visibility.values:
            raise ValidationError("Choose one of the listed visibilities.")
        return value

    def region(value):
        validate_phone_region(value)
        return normalize_code(value)

    def currency(value):
        validate_currency(value)
        return normalize_code(value)

    def retention(value):
        if value in (None, ""):
            return None
        if not isinstance(value, int) or not 1 <= value <= MAX_RETENTION_DAYS:
            raise ValidationError(f"Use a whole number of days from 1 to {MAX_RETENTION_DAYS}, or leave it empty.")
        return value

    check("name", name)
    check("default_visibility", visibility)
    check("default_region", region)
    check("default_currency", currency)
    check("recycle_bin_days", retention)
    if errors:
        raise ValidationError(errors)
    return cleaned


def workspace_update(
    *, actor: Actor, workspace: Workspace, data: dict[str, Any], request: HttpRequest | None = None
) -> dict[str, list[Any]]:
    """Change workspace settings; returns ``{field: [old, new]}`` for what changed.

    Any change is written to the security log, since visibility decides who sees which records.
    """
    _require(actor, "workspace.manage", "Only owners and admins change workspace settings.")
    if workspace.pk != actor.workspace.pk:
        raise PermissionDenied("This is not your active workspace.")
    cleaned = _clean_workspace_data(data)
    with transaction.atomic():
        current = Workspace.objects.select_for_update().get(pk=workspace.pk)
        changes = {
            field: [getattr(current, field), value]
            for field, value in cleaned.items()
            if getattr(current, field) != value
        }
        if not changes:
            return {}
        for field, (_old, new) in changes.items():
            setattr(current, field, new)
            setattr(workspace, field, new)
        current.save(update_fields=list(changes))
        _log(SecurityKind.WORKSPACE_SETTINGS_CHANGED, actor, request, changes=changes)
    return changes
