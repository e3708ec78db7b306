"""Roles and what each may do. The permission selectors read this table; nothing else decides."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    SALES = "sales", "Sales"
    SUPPORT = "support", "Support"
    MARKETING = "marketing", "Marketing"
    READ_ONLY = "read_only", "Read-only"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private: owners, their managers and admins"
    TEAM = "team", "Team: everyone in the owner's team"
    EVERYONE = "everyone", "Everyone in the workspace"


# Workspace-level capabilities (not record-level: those come from ownership and visibility).
CAPABILITIES: dict[str, frozenset[Role]] = {
    "workspace.manage": frozenset({Role.OWNER, Role.ADMIN}),
    "members.manage": frozenset({Role.OWNER, Role.ADMIN}),
    "members.manage_owners": frozenset({Role.OWNER}),
    "teams.manage": frozenset({Role.OWNER, Role.ADMIN}),
    "security_log.view": frozenset({Role.OWNER, Role.ADMIN}),
    "recycle_bin.restore": frozenset({Role.OWNER, Role.ADMIN}),
    "records.see_all": frozenset({Role.OWNER, Role.ADMIN}),
    "records.create": frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT, Role.MARKETING}),
    "records.export": frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER}),
    "api_tokens.create": frozenset(Role),
    # Sales set-up: pipelines, stages, lost reasons and lead assignment rules; catalogue; quotas.
    "sales.configure": frozenset({Role.OWNER, Role.ADMIN}),
    "products.manage": frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER}),
    "quotas.manage": frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER}),
}

ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})


def role_can(role: str, capability: str) -> bool:
    try:
        return role in CAPABILITIES[capability]
    except KeyError:
        raise KeyError(f"Unknown capability {capability!r}; add it to rapport.core.roles.CAPABILITIES.") from None
