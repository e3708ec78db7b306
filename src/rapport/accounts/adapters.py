"""django-allauth hooks: where people land after login or signup."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from rapport.core.models import Membership


def pending_invitation_url(request: HttpRequest) -> str | None:
    """The invitation link the person opened before logging in, while it can still be accepted by them."""
    from rapport.accounts import services

    token = request.session.get(services.INVITATION_SESSION_KEY)
    if not token:
        return None
    invitation = services.invitation_for_token(token)
    if services.invitation_problem(invitation, request.user) is not None:
        request.session.pop(services.INVITATION_SESSION_KEY, None)
        return None
    return reverse("accounts:invitation_accept", kwargs={"token": token})


class AccountAdapter(DefaultAccountAdapter):
    """After login or signup: an opened invitation first, then home, or workspace creation for newcomers."""

    def _landing_url(self, request: HttpRequest) -> str:
        invitation_url = pending_invitation_url(request)
        if invitation_url:
            return invitation_url
        if not Membership.objects.filter(user=request.user, is_active=True).exists():
            return reverse("core:workspace_create")
        return reverse("core:home")

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return self._landing_url(request)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return self._landing_url(request)
