"""Reads on API tokens: a person sees and revokes only their own tokens of the current workspace."""

from __future__ import annotations

from django.db import models
from django.http import Http404

from rapport.api.models import ApiToken
from rapport.core.permissions import Actor


def tokens_for(actor: Actor) -> models.QuerySet[ApiToken]:
    return ApiToken.objects.filter(workspace_id=actor.workspace.pk, user_id=actor.user.pk)


def token_for_actor_or_404(actor: Actor, pk: int) -> ApiToken:
    token = tokens_for(actor).filter(pk=pk).first()
    if token is None:
        raise Http404("No such API token.")
    return token
