"""Permission-matrix rows of the members, teams, invitations, settings and security-log pages.

Record-bound rows build a fresh record per role: in workspace A for ``other``, in the other
workspace for ``foreign`` (which must be a 404 for everyone, never another tenant's data).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.matrix import ADMINS, ALL_ROLES, Row, roles_status

RECORD_RELATIONS = ("other", "foreign")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _new_member(cast, owner, workspace):
    from rapport.core.models import Membership
    from tests.factories import UserFactory

    return Membership.objects.create(user=UserFactory(), workspace=workspace, role="sales")


def _new_team(cast, owner, workspace):
    from rapport.core.models import Team
    from rapport.core.scoping import audit_context, workspace_scope

    with workspace_scope(workspace.pk), audit_context(actor=None, source="system"):
        return Team.objects.create(name=_unique("team"))


def _new_invitation(cast, owner, workspace):
    from django.utils import timezone

    from rapport.accounts.models import Invitation

    token = _unique("token")
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=f"{_unique('invitee')}@example.com",
        role="sales",
        token_hash=Invitation.hash_token(token),
        expires_at=timezone.now() + timedelta(days=7),
    )
    invitation.token = token
    return invitation


def _admins_in_workspace(ok: int):
    """Owners and admins may; others get 403; another workspace's record is a 404 for all."""

    def expect(role: str, relation: str | None) -> int:
        if relation == "foreign":
            return 404
        return ok if role in ADMINS else 403

    return expect


def _pk(record) -> dict:
    return {"pk": record.pk}


SETTINGS = {
    "name": "Acme",
    "default_visibility": "team",
    "default_region": "US",
    "default_currency": "USD",
    "recycle_bin_days": "",
}

ROWS = [
    Row("accounts:profile", roles_status(ALL_ROLES), note="each person's own profile; no workspace needed"),
    Row("accounts:members", roles_status(ALL_ROLES)),
    Row("accounts:invitation_create", roles_status(ADMINS)),
    Row(
        "accounts:invitation_create",
        roles_status(ADMINS, ok=302),
        method="POST",
        data=lambda record: {"email": f"{_unique('new')}@example.com", "role": "sales"},
    ),
    Row(
        "accounts:member_edit",
        _admins_in_workspace(200),
        make=_new_member,
        kwargs=_pk,
        relations=RECORD_RELATIONS,
    ),
    Row(
        "accounts:member_edit",
        _admins_in_workspace(302),
        method="POST",
        make=_new_member,
        kwargs=_pk,
        data={"role": "support", "team": ""},
        relations=RECORD_RELATIONS,
    ),
    *(
        Row(name, _admins_in_workspace(302), method="POST", make=_new_member, kwargs=_pk, relations=RECORD_RELATIONS)
        for name in ("accounts:member_deactivate", "accounts:member_reactivate", "accounts:member_remove")
    ),
    *(
        Row(
            name, _admins_in_workspace(302), method="POST", make=_new_invitation, kwargs=_pk, relations=RECORD_RELATIONS
        )
        for name in ("accounts:invitation_resend", "accounts:invitation_revoke")
    ),
    Row(
        "accounts:invitation_accept",
        lambda role, relation: 200,
        make=_new_invitation,
        kwargs=lambda invitation: {"token": invitation.token},
        anonymous=200,
        relations=RECORD_RELATIONS,
        note="the link's token is the permission; a logged-in person with another address is told so",
    ),
    Row(
        "accounts:invitation_accept",
        lambda role, relation: 200,
        method="POST",
        make=_new_invitation,
        kwargs=lambda invitation: {"token": invitation.token},
        anonymous=302,
        relations=RECORD_RELATIONS,
        note="joining needs a login with the invited address; anyone else gets the explanation page",
    ),
    Row("accounts:team_create", roles_status(ADMINS)),
    Row(
        "accounts:team_create",
        roles_status(ADMINS, ok=302),
        method="POST",
        data=lambda record: {"name": _unique("team")},
    ),
    Row("accounts:team_edit", _admins_in_workspace(200), make=_new_team, kwargs=_pk, relations=RECORD_RELATIONS),
    Row(
        "accounts:team_edit",
        _admins_in_workspace(302),
        method="POST",
        make=_new_team,
        kwargs=_pk,
        data=lambda record: {"name": _unique("renamed")},
        relations=RECORD_RELATIONS,
    ),
    Row(
        "accounts:team_delete",
        _admins_in_workspace(302),
        method="POST",
        make=_new_team,
        kwargs=_pk,
        relations=RECORD_RELATIONS,
    ),
    Row("accounts:workspace_settings", roles_status(ADMINS)),
    Row("accounts:workspace_settings", roles_status(ADMINS, ok=302), method="POST", data=SETTINGS),
    Row("accounts:security_log", roles_status(ADMINS)),
    Row("accounts:security_log_export", roles_status(ADMINS)),
]
