"""Inviting people by email, and what each kind of link does when opened."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.accounts import services
from rapport.accounts.models import Invitation, User
from rapport.core.middleware import SESSION_KEY
from rapport.core.models import Membership, SecurityEvent
from rapport.core.roles import Role
from rapport.core.security import SecurityKind
from tests.accounts.conftest import link_in
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def invite(cast, acting):
    """``invite(email, role=..., team=..., by=admin)`` -> (invitation, accept path)."""

    def _invite(email: str, role: str = Role.SALES, team=None, by=None):
        with acting(by or cast.admin, cast.workspace) as actor:
            invitation, token = services.invitation_create(actor=actor, email=email, role=role, team=team)
        return invitation, reverse("accounts:invitation_accept", kwargs={"token": token})

    return _invite


def test_admin_invites_by_email_from_the_members_page(cast, login, mailoutbox):
    client = login(cast.admin)
    response = client.post(
        reverse("accounts:invitation_create"),
        {"email": "  Newbie@Example.COM ", "role": Role.SUPPORT, "team": cast.team_west.pk},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(workspace=cast.workspace)
    assert (invitation.email, invitation.role, invitation.team) == ("newbie@example.com", Role.SUPPORT, cast.team_west)
    assert invitation.invited_by == cast.admin
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert mailoutbox[-1].to == ["newbie@example.com"]
    assert "Acme" in mailoutbox[-1].subject
    event = SecurityEvent.objects.get(kind=SecurityKind.MEMBER_INVITED)
    assert (event.user, event.workspace, event.details["role"]) == (cast.admin, cast.workspace, Role.SUPPORT)


def test_the_link_token_is_stored_only_as_a_hash(cast, invite, mailoutbox):
    invitation, path = invite("someone@example.com")
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert token in mailoutbox[-1].body
    assert invitation.token_hash == Invitation.hash_token(token)
    assert token not in invitation.token_hash


def test_a_new_person_signs_up_from_the_link_without_a_verification_email(cast, client, invite, mailoutbox):
    _, path = invite("newbie@example.com", role=Role.SUPPORT, team=cast.team_west)
    mails_before = len(mailoutbox)
    page = client.get(path)
    assert page.status_code == 200
    assert "Create your account" in page.content.decode()

    signup = client.get(reverse("account_signup"))
    assert signup.context["form"].fields["email"].initial == "newbie@example.com"
    response = client.post(
        reverse("account_signup"), {"email": "newbie@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    user = User.objects.get(email="newbie@example.com")
    membership = Membership.objects.get(user=user)
    assert (membership.workspace, membership.role, membership.team) == (cast.workspace, Role.SUPPORT, cast.team_west)
    assert EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == mails_before  # the link proved the address: no verification email
    assert client.session[SESSION_KEY] == cast.workspace.pk
    assert client.get(reverse("core:home")).status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityKind.MEMBER_JOINED, user=user, workspace=cast.workspace).exists()
    assert client.get(path).context["problem"]  # used links stop working


def test_an_existing_person_logs_in_from_the_link_then_joins(cast, client, invite):
    person = UserFactory(email="freelancer@example.com")
    _, path = invite("freelancer@example.com", role=Role.MARKETING)
    page = client.get(path)
    assert "Log in to join" in page.content.decode()
    response = client.post(f"{reverse('account_login')}?next={path}", {"login": person.email, "password": PASSWORD})
    assert response.url == path
    assert "Join Acme" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    assert Membership.objects.get(user=person, workspace=cast.workspace).role == Role.MARKETING
    assert client.session[SESSION_KEY] == cast.workspace.pk


def test_login_after_opening_the_link_returns_to_it_even_without_next(cast, client, invite):
    person = UserFactory(email="freelancer@example.com")
    _, path = invite("freelancer@example.com")
    client.get(path)
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response.url == path


def test_a_member_of_another_workspace_joins_while_logged_in(cast, invite, login):
    _, path = invite(cast.outsider.email, role=Role.READ_ONLY)
    client = login(cast.outsider)
    assert client.post(path).status_code == 302
    assert Membership.objects.get(user=cast.outsider, workspace=cast.workspace).role == Role.READ_ONLY
    assert Membership.objects.filter(user=cast.outsider, workspace=cast.other_workspace).exists()


def test_a_link_opened_while_logged_in_as_someone_else_does_nothing(cast, invite, login):
    _, path = invite("newbie@example.com")
    client = login(cast.outsider)
    page = client.get(path)
    assert "newbie@example.com" in page.context["problem"]
    assert cast.outsider.email in page.context["problem"]
    client.post(path)
    assert not Membership.objects.filter(user=cast.outsider, workspace=cast.workspace).exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_expired_link_says_so_and_does_nothing(cast, client, invite):
    invitation, path = invite("late@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(path)
    assert "expired" in page.context["problem"]
    person = UserFactory(email="late@example.com")
    client.force_login(person)
    client.post(path)
    assert not Membership.objects.filter(user=person).exists()


def test_a_revoked_link_says_so_and_does_nothing(cast, invite, login):
    invitation, path = invite("changed-mind@example.com")
    admin = login(cast.admin)
    assert admin.post(reverse("accounts:invitation_revoke", args=[invitation.pk])).status_code == 302
    assert SecurityEvent.objects.filter(kind=SecurityKind.INVITATION_REVOKED, workspace=cast.workspace).exists()
    admin.logout()
    person = UserFactory(email="changed-mind@example.com")
    admin.force_login(person)
    assert "withdrawn" in admin.get(path).context["problem"]
    admin.post(path)
    assert not Membership.objects.filter(user=person).exists()


def test_an_unknown_link_is_not_found(client, db):
    response = client.get(reverse("accounts:invitation_accept", kwargs={"token": "made-up"}))
    assert response.status_code == 404
    assert "not valid" in response.context["problem"]


def test_resending_mails_a_new_link_and_the_old_one_stops_working(cast, client, invite, login, mailoutbox):
    invitation, old_path = invite("slow@example.com")
    login(cast.admin).post(reverse("accounts:invitation_resend", args=[invitation.pk]))
    new_path = link_in(mailoutbox[-1], "/invitations/")
    assert new_path != old_path
    client.logout()
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).context["problem"] is None


def test_only_one_pending_invitation_per_address(cast, invite, acting):
    invite("twice@example.com")
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.invitation_create(actor=actor, email="TWICE@example.com", role=Role.SALES)
    assert "already has a pending invitation" in str(error.value.message_dict["email"])


def test_an_expired_invitation_can_be_replaced_by_a_new_one(cast, invite):
    invitation, _ = invite("again@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    fresh, _ = invite("again@example.com")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert fresh.is_pending


def test_inviting_a_current_member_is_a_field_error(cast, login):
    response = login(cast.admin).post(
        reverse("accounts:invitation_create"), {"email": cast.sales.email, "role": Role.SALES}
    )
    assert response.status_code == 200
    assert "already a member" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists()


def test_only_owners_invite_owners(cast, invite, acting):
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(ValidationError):
        services.invitation_create(actor=actor, email="boss@example.com", role=Role.OWNER)
    invitation, _ = invite("boss@example.com", role=Role.OWNER, by=cast.owner)
    assert invitation.role == Role.OWNER


def test_people_who_are_not_admins_cannot_invite(cast, acting, login):
    with acting(cast.manager, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.invitation_create(actor=actor, email="friend@example.com", role=Role.SALES)
    response = login(cast.sales).post(
        reverse("accounts:invitation_create"), {"email": "x@example.com", "role": "sales"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_team_of_another_workspace_is_refused(cast, acting):
    from tests.factories import TeamFactory

    foreign_team = TeamFactory(workspace=cast.other_workspace, name="Theirs")
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.invitation_create(actor=actor, email="x@example.com", role=Role.SALES, team=foreign_team)
    assert "team" in error.value.message_dict


def test_a_failing_mail_server_leaves_no_invitation_behind(cast, login, settings):
    with socket.socket() as probe:  # a local port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    response = login(cast.admin).post(
        reverse("accounts:invitation_create"), {"email": "x@example.com", "role": Role.SALES}
    )
    assert response.status_code == 200
    assert "could not be sent" in str(response.context["form"].non_field_errors())
    assert not Invitation.objects.exists()
    assert not SecurityEvent.objects.filter(kind=SecurityKind.MEMBER_INVITED).exists()
