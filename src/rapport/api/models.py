"""Personal API tokens.

A token reads ``rpt_<prefix>_<secret>``. The prefix is public (it is shown in the token list and
is how a request finds its token); the secret is kept only as a SHA-256 hash, so the plaintext
exists once, on the page that shows it after creation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from rapport.core.models import Workspace

TOKEN_KEYWORD = "rpt"  # noqa: S105 - the public first part of every token, not a secret
PREFIX_LENGTH = 12
SECRET_LENGTH = 40
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits


class TokenScope(models.TextChoices):
    READ = "read", "Read: list and view records"
    WRITE = "write", "Write: create, change and delete records"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_prefix() -> str:
    return "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))


def new_secret() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def split_token(raw: str) -> tuple[str, str] | None:
    """``rpt_<prefix>_<secret>`` -> (prefix, secret), or None when the string is not shaped like a token."""
    parts = raw.split("_")
    if len(parts) != 3 or parts[0] != TOKEN_KEYWORD:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or len(secret) != SECRET_LENGTH:
        return None
    if not (set(prefix) <= set(_PREFIX_ALPHABET) and set(secret) <= set(_SECRET_ALPHABET)):
        return None
    return prefix, secret


class ApiToken(models.Model):
    """A person's key to the API of one workspace, with read and/or write scope."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “Zapier” or “nightly export”.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text='A list of "read" and/or "write".')
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the last API_TOKEN_USED security event was written (at most one an hour).
    use_logged_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "user", "-created_at"], name="apitoken_ws_user_idx")]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_KEYWORD}_{self.prefix}_…"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes or ())

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(hash_secret(secret), self.secret_hash)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active"
