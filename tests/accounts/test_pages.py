"""Every account page renders in Rapport's frame: CSP-clean, one h1, labelled inputs, phone-ready."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from rapport.accounts import services
from rapport.core.roles import Role
from tests.accounts.html import page_problems
from tests.factories import PASSWORD, UserFactory

ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]
MEMBER_PAGES = [
    "account_email",
    "account_change_password",
    "account_logout",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
    "accounts:members",
    "accounts:invitation_create",
    "accounts:team_create",
    "accounts:workspace_settings",
    "accounts:security_log",
]


def assert_fine(response) -> None:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert page_problems(html) == []
    assert "rapport/app.css" in html  # Rapport's frame, not allauth's bare layout


@pytest.mark.parametrize("url_name", ANONYMOUS_PAGES)
def test_public_account_pages_are_clean(client, db, url_name):
    assert_fine(client.get(reverse(url_name)))


@pytest.mark.parametrize("url_name", MEMBER_PAGES)
def test_pages_of_a_logged_in_admin_are_clean(cast, client, url_name):
    client.post(reverse("account_login"), {"login": cast.admin.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert_fine(client.get(reverse(url_name)))


def test_account_pages_of_someone_without_a_workspace_use_the_public_frame(client, db):
    loner = UserFactory()
    client.force_login(loner)
    response = client.get(reverse("account_change_password"))
    assert_fine(response)
    assert 'class="shell"' not in response.content.decode()


def test_the_email_confirmation_page_is_clean(client, db):
    person = UserFactory(email="unverified@example.com")
    address = EmailAddress.objects.get(user=person)
    address.verified = False
    address.save()
    assert_fine(client.get(reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])))
    assert_fine(client.get(reverse("account_confirm_email", args=["bad-key"])))


def test_the_password_reset_link_page_is_clean(client, db):
    assert_fine(client.get(reverse("account_reset_password_from_key", kwargs={"uidb36": "x", "key": "bad"})))


def test_the_two_factor_pages_after_activation_are_clean(cast, client):
    TOTP.activate(cast.admin, generate_totp_secret())
    RecoveryCodes.activate(cast.admin)
    client.post(reverse("account_login"), {"login": cast.admin.email, "password": PASSWORD})
    assert_fine(client.get(reverse("mfa_authenticate")))
    client.force_login(cast.admin)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    for url_name in ("mfa_index", "mfa_deactivate_totp", "mfa_generate_recovery_codes", "mfa_view_recovery_codes"):
        assert_fine(client.get(reverse(url_name)))


def test_record_pages_of_the_members_area_are_clean(cast, login, acting):
    from rapport.core.models import Membership

    client = login(cast.owner)
    seat = Membership.objects.get(user=cast.sales, workspace=cast.workspace)
    assert_fine(client.get(reverse("accounts:member_edit", args=[seat.pk])))
    assert_fine(client.get(reverse("accounts:team_edit", args=[cast.team_east.pk])))
    assert_fine(login(cast.sales).get(reverse("accounts:members")))


def test_invitation_pages_are_clean_for_everyone(cast, client, acting):
    with acting(cast.admin, cast.workspace) as actor:
        _, token = services.invitation_create(actor=actor, email="new@example.com", role=Role.SALES)
    url = reverse("accounts:invitation_accept", kwargs={"token": token})
    assert_fine(client.get(url))  # anonymous
    client.force_login(cast.outsider)
    assert_fine(client.get(url))  # someone else
    client.force_login(UserFactory(email="new@example.com"))
    assert_fine(client.get(url))  # the invited person, before joining
