"""The append-only security log: one call for every security-relevant event."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rapport.core.models import SecurityEvent


class SecurityKind:
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET = "password.reset"
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    ROLE_CHANGED = "member.role_changed"
    MEMBER_INVITED = "member.invited"
    MEMBER_JOINED = "member.joined"
    MEMBER_REMOVED = "member.removed"
    EXPORT = "export"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"
    API_TOKEN_USED = "api_token.used"
    RECORD_RESTORED = "record.restored"
    EMAIL_CONFIRMED = "email.confirmed"
    MFA_RECOVERY_CODES_GENERATED = "mfa.recovery_codes_generated"
    MEMBER_DEACTIVATED = "member.deactivated"
    MEMBER_REACTIVATED = "member.reactivated"
    INVITATION_REVOKED = "member.invitation_revoked"
    WORKSPACE_SETTINGS_CHANGED = "workspace.settings_changed"


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_security_event(
    kind: str, *, request: HttpRequest | None = None, user=None, workspace=None, **details: Any
) -> SecurityEvent:
    if user is None and request is not None and getattr(request, "user", None) and request.user.is_authenticated:
        user = request.user
    if workspace is None and request is not None:
        workspace = getattr(request, "workspace", None)
    if workspace is None and user is not None:
        workspace_id = getattr(user, "last_workspace_id", None)
    else:
        workspace_id = workspace.pk if workspace else None
    return SecurityEvent.objects.create(
        workspace_id=workspace_id,
        user_id=getattr(user, "pk", None),
        kind=kind,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request else ""),
        details=details,
    )
