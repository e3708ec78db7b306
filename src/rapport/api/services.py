"""Writes on API tokens: issue, revoke, authenticate (and note the use)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from rapport.api.models import TOKEN_KEYWORD, ApiToken, TokenScope, hash_secret, new_prefix, new_secret, split_token
from rapport.core.permissions import Actor, actor_for
from rapport.core.roles import Role
from rapport.core.security import SecurityKind, log_security_event

LAST_USED_RESOLUTION = timedelta(minutes=1)
USE_LOG_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its plaintext, which is shown once and never stored."""

    token: ApiToken
    plaintext: str


class TokenRejected(Exception):
    """The bearer token cannot be used; the message says why (safe to show to its holder)."""


def _clean_scopes(actor: Actor, scopes: Iterable[str]) -> list[str]:
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in TokenScope.values]
    if unknown:
        raise ValidationError({"scopes": f"Unknown scope: {', '.join(unknown)}. Use read and/or write."})
    if not wanted:
        raise ValidationError({"scopes": "Choose at least one scope."})
    if TokenScope.WRITE in wanted and actor.role == Role.READ_ONLY:
        raise ValidationError({"scopes": "Read-only members can only create tokens with the read scope."})
    return wanted


def token_create(
    *,
    actor: Actor,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> IssuedToken:
    """Issue a token for the actor in the actor's workspace and log it in the security log."""
    if not actor.can("api_tokens.create"):
        raise PermissionDenied("You may not create API tokens.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    clean_scopes = _clean_scopes(actor, scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry date must be in the future."})
    secret = new_secret()
    with transaction.atomic():
        prefix = new_prefix()
        while ApiToken.objects.filter(prefix=prefix).exists():
            prefix = new_prefix()
        token = ApiToken.objects.create(
            user=actor.user,
            workspace=actor.workspace,
            name=name,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=clean_scopes,
            expires_at=expires_at,
        )
        log_security_event(
            SecurityKind.API_TOKEN_CREATED,
            request=request,
            user=actor.user,
            workspace=actor.workspace,
            token=token.prefix,
            name=token.name,
            scopes=clean_scopes,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    return IssuedToken(token=token, plaintext=f"{TOKEN_KEYWORD}_{prefix}_{secret}")


def token_revoke(*, actor: Actor, token: ApiToken, request: HttpRequest | None = None) -> bool:
    """Revoke one of the actor's own tokens. Returns False when it was already revoked."""
    if token.user_id != actor.user.pk or token.workspace_id != actor.workspace.pk:
        raise PermissionDenied("You may only revoke your own tokens.")
    now = timezone.now()
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        if not revoked:
            return False
        token.revoked_at = now
        log_security_event(
            SecurityKind.API_TOKEN_REVOKED,
            request=request,
            user=actor.user,
            workspace=actor.workspace,
            token=token.prefix,
            name=token.name,
        )
    return True


def token_authenticate(raw: str) -> tuple[ApiToken, Actor]:
    """Find the token for a bearer string and the actor it acts as, or raise TokenRejected."""
    parts = split_token(raw)
    if parts is None:
        raise TokenRejected("Invalid API token.")
    prefix, secret = parts
    token = ApiToken.objects.select_related("user", "workspace").filter(prefix=prefix).first()
    if token is None:
        hash_secret(secret)  # spend the same work as a real comparison
        raise TokenRejected("Invalid API token.")
    if not token.secret_matches(secret):
        raise TokenRejected("Invalid API token.")
    if token.revoked_at is not None:
        raise TokenRejected("This API token was revoked.")
    if token.is_expired():
        raise TokenRejected("This API token has expired.")
    if not token.user.is_active:
        raise TokenRejected("The account of this API token is disabled.")
    actor = actor_for(token.user, token.workspace, scopes=token.scope_set)
    if actor is None:
        raise TokenRejected("The owner of this API token is no longer a member of its workspace.")
    return token, actor


def token_record_use(token: ApiToken, *, request: HttpRequest | None = None) -> None:
    """Note that the token was used: last_used_at at most once a minute, a security event at most once an hour.

    Both writes are conditional UPDATEs, so concurrent requests write each at most once.
    """
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        stale = models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        if ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now):
            token.last_used_at = now
    if token.use_logged_at is None or token.use_logged_at <= now - USE_LOG_INTERVAL:
        stale = models.Q(use_logged_at__isnull=True) | models.Q(use_logged_at__lte=now - USE_LOG_INTERVAL)
        with transaction.atomic():
            if ApiToken.objects.filter(stale, pk=token.pk).update(use_logged_at=now):
                token.use_logged_at = now
                log_security_event(
                    SecurityKind.API_TOKEN_USED,
                    request=request,
                    user=token.user,
                    workspace=token.workspace,
                    token=token.prefix,
                    name=token.name,
                )
