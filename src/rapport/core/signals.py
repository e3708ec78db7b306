"""Security-log receivers for authentication events (Django's and django-allauth's)."""

from __future__ import annotations

from allauth.account.signals import email_confirmed, password_changed, password_reset, password_set
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from rapport.core.security import SecurityKind, log_security_event


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    log_security_event(SecurityKind.LOGIN_SUCCEEDED, request=request, user=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    from django.contrib.auth import get_user_model

    email = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    user = get_user_model().objects.filter(email__iexact=email).first() if email else None
    log_security_event(SecurityKind.LOGIN_FAILED, request=request, user=user, email=email[:200])


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        log_security_event(SecurityKind.LOGOUT, request=request, user=user)


# --- django-allauth: password, email and two-factor changes ----------------------------------


@receiver(password_changed)
def _password_changed(sender, request, user, **kwargs) -> None:
    log_security_event(SecurityKind.PASSWORD_CHANGED, request=request, user=user)


@receiver(password_set)
def _password_set(sender, request, user, **kwargs) -> None:
    log_security_event(SecurityKind.PASSWORD_CHANGED, request=request, user=user, first_password=True)


@receiver(password_reset)
def _password_reset(sender, request, user, **kwargs) -> None:
    log_security_event(SecurityKind.PASSWORD_RESET, request=request, user=user)


@receiver(email_confirmed)
def _email_confirmed(sender, request, email_address, **kwargs) -> None:
    log_security_event(
        SecurityKind.EMAIL_CONFIRMED, request=request, user=email_address.user, email=email_address.email
    )


@receiver(authenticator_added)
def _authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    kind = (
        SecurityKind.MFA_RECOVERY_CODES_GENERATED
        if authenticator.type == Authenticator.Type.RECOVERY_CODES
        else SecurityKind.MFA_ENABLED
    )
    log_security_event(kind, request=request, user=user, type=authenticator.type)


@receiver(authenticator_reset)
def _authenticator_reset(sender, request, user, authenticator, **kwargs) -> None:
    log_security_event(
        SecurityKind.MFA_RECOVERY_CODES_GENERATED, request=request, user=user, type=authenticator.type, regenerated=True
    )


@receiver(authenticator_removed)
def _authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    log_security_event(SecurityKind.MFA_DISABLED, request=request, user=user, type=authenticator.type)


@receiver(authentication_failed)
def _mfa_code_rejected(sender, request, user, authenticator=None, **kwargs) -> None:
    log_security_event(
        SecurityKind.LOGIN_FAILED,
        request=request,
        user=user,
        stage="two-factor code",
        type=getattr(authenticator, "type", None),
    )
