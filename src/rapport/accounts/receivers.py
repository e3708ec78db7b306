"""Joining the invited workspace right after signing up through an invitation link."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.signals import user_signed_up
from django.contrib import messages
from django.dispatch import receiver

from rapport.accounts import services
from rapport.core.middleware import SESSION_KEY


@receiver(user_signed_up)
def join_invited_workspace(sender, request, user, **kwargs) -> None:
    """The signup started from an invitation link: join when the verified address is the invited one."""
    if request is None or not hasattr(request, "session"):
        return
    token = request.session.get(services.INVITATION_SESSION_KEY)
    invitation = services.invitation_for_token(token) if token else None
    if invitation is None:
        return
    verified = EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()
    if not verified:
        return  # they signed up with another address: a normal signup, verified by email as usual
    try:
        membership = services.invitation_accept(invitation=invitation, user=user, request=request)
    except services.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        request.session[SESSION_KEY] = membership.workspace_id
        messages.success(request, f"Welcome to {membership.workspace.name}.")
    request.session.pop(services.INVITATION_SESSION_KEY, None)
