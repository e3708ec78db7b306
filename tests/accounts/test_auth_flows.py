"""Signup, email verification, login, logout, password reset and change: allauth with Rapport's rules."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.urls import reverse

from rapport.accounts.models import User
from rapport.core.models import Membership, SecurityEvent
from rapport.core.roles import Role
from rapport.core.security import SecurityKind
from tests.accounts.conftest import link_in
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a brand new passphrase 42"


def _kinds(user) -> list[str]:
    return list(SecurityEvent.objects.filter(user=user).order_by("at", "id").values_list("kind", flat=True))


def test_signup_needs_email_verification_then_leads_to_creating_a_workspace(client, db, mailoutbox):
    response = client.post(
        reverse("account_signup"), {"email": "Newcomer@Example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email__iexact="newcomer@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("core:home")).status_code == 302  # not logged in before verifying

    confirm_path = link_in(mailoutbox[-1], "/accounts/confirm-email/")
    assert client.get(confirm_path).status_code == 200
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert response.url == reverse("core:workspace_create")
    assert EmailAddress.objects.get(user=user).verified
    assert SecurityKind.EMAIL_CONFIRMED in _kinds(user)

    response = client.post(reverse("core:workspace_create"), {"name": "Globex"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.workspace.name == "Globex"
    assert client.get(reverse("core:home")).status_code == 200


def test_login_of_a_member_lands_on_home(cast, client):
    response = client.post(reverse("account_login"), {"login": cast.sales.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("core:home")


def test_login_of_a_person_without_workspace_lands_on_workspace_creation(client, db):
    loner = UserFactory(email="loner@example.com")
    response = client.post(reverse("account_login"), {"login": loner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("core:workspace_create")


def test_login_with_a_wrong_password_is_refused_and_logged(cast, client):
    response = client.post(reverse("account_login"), {"login": cast.sales.email, "password": "not it"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    event = SecurityEvent.objects.get(user=cast.sales)
    assert event.kind == SecurityKind.LOGIN_FAILED
    assert event.workspace_id == cast.workspace.pk


def test_logout_ends_the_session(cast, client, form_login):
    form_login(cast.sales)
    assert client.get(reverse("account_logout")).status_code == 200  # asks first
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(cast, client, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": cast.sales.email})
    assert response.status_code == 302
    assert mailoutbox[-1].to == [cast.sales.email]

    key_path = link_in(mailoutbox[-1], "/accounts/password/reset/key/")
    response = client.get(key_path)
    assert response.status_code == 302  # allauth hides the key from the address bar
    set_path = response.url
    assert client.get(set_path).status_code == 200
    response = client.post(set_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    cast.sales.refresh_from_db()
    assert cast.sales.check_password(NEW_PASSWORD)
    assert SecurityKind.PASSWORD_RESET in _kinds(cast.sales)
    assert client.get(key_path).status_code in (200, 302)
    assert client.get(set_path).context["token_fail"]  # the link works once


def test_password_reset_for_an_unknown_address_sends_no_reset_link(client, db, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert all("/accounts/password/reset/key/" not in message.body for message in mailoutbox)


def test_password_change_needs_the_current_password_and_is_logged(cast, client, form_login):
    form_login(cast.sales)
    url = reverse("account_change_password")
    response = client.post(url, {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors["oldpassword"]
    response = client.post(url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    cast.sales.refresh_from_db()
    assert cast.sales.check_password(NEW_PASSWORD)
    assert _kinds(cast.sales)[-1] == SecurityKind.PASSWORD_CHANGED


def test_a_short_new_password_is_refused_with_a_field_error(cast, client, form_login):
    form_login(cast.sales)
    response = client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": "short1", "password2": "short1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    cast.sales.refresh_from_db()
    assert cast.sales.check_password(PASSWORD)
