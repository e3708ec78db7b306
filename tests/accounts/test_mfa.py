"""Two-factor authentication with an authenticator app (TOTP) and recovery codes."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from rapport.core.models import SecurityEvent
from rapport.core.security import SecurityKind
from tests.factories import PASSWORD


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now (RFC 6238, 30-second steps, 6 digits)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def wrong_code(secret: str) -> str:
    """A code that no step near now accepts."""
    now = int(time.time()) // 30
    valid = {format_hotp_value(hotp_value(secret, now + step)) for step in range(-3, 4)}
    return next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in valid)


@pytest.fixture(autouse=True)
def _one_step_of_clock_tolerance(settings):
    # A code computed at the very end of a 30-second step must still pass when it is checked.
    settings.MFA_TOTP_TOLERANCE = 1


def _kinds(user) -> list[str]:
    return list(SecurityEvent.objects.filter(user=user).order_by("at", "id").values_list("kind", flat=True))


def confirm_password(client) -> None:
    """allauth asks for the password again before two-factor changes."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def with_totp(cast, client, form_login, django_capture_on_commit_callbacks):
    """The sales rep, logged in, with an authenticator app activated; returns the TOTP secret."""
    form_login(cast.sales)
    confirm_password(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:1000]
    return secret


def test_activating_totp_first_asks_for_the_password_again(cast, client, form_login):
    form_login(cast.sales)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_activating_totp_with_a_wrong_code_is_refused(cast, client, form_login):
    form_login(cast.sales)
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not Authenticator.objects.filter(user=cast.sales).exists()


def test_activating_totp_creates_recovery_codes_and_is_logged(cast, with_totp):
    types = set(Authenticator.objects.filter(user=cast.sales).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    kinds = _kinds(cast.sales)
    assert SecurityKind.MFA_ENABLED in kinds
    assert SecurityKind.MFA_RECOVERY_CODES_GENERATED in kinds


def test_after_activation_login_asks_for_the_code(cast, client, with_totp):
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": cast.sales.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough

    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code(with_totp)})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert _kinds(cast.sales)[-1] == SecurityKind.LOGIN_FAILED

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(with_totp)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == cast.sales.pk
    assert client.get(reverse("core:home")).status_code == 200


def test_a_recovery_code_works_instead_of_the_app(cast, client, with_totp):
    codes = Authenticator.objects.get(user=cast.sales, type=Authenticator.Type.RECOVERY_CODES).wrap()
    code = codes.get_unused_codes()[0]
    client.post(reverse("account_logout"))
    client.post(reverse("account_login"), {"login": cast.sales.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == cast.sales.pk


def test_regenerating_recovery_codes_is_logged(cast, client, with_totp, django_capture_on_commit_callbacks):
    before = Authenticator.objects.get(user=cast.sales, type=Authenticator.Type.RECOVERY_CODES).wrap()
    assert client.get(reverse("mfa_generate_recovery_codes")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    after = Authenticator.objects.get(user=cast.sales, type=Authenticator.Type.RECOVERY_CODES).wrap()
    assert set(after.get_unused_codes()).isdisjoint(before.get_unused_codes())
    event = SecurityEvent.objects.filter(user=cast.sales).order_by("-at", "-id").first()
    assert event.kind == SecurityKind.MFA_RECOVERY_CODES_GENERATED
    assert event.details["regenerated"] is True


def test_deactivating_totp_removes_it_and_is_logged(cast, client, with_totp):
    assert client.get(reverse("mfa_deactivate_totp")).status_code == 200
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=cast.sales).exists()
    assert _kinds(cast.sales)[-1] == SecurityKind.MFA_DISABLED
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": cast.sales.email, "password": PASSWORD})
    assert response.url == reverse("core:home")  # no code asked any more
