"""Contacts and companies for tests, created through the services like the app does."""

from __future__ import annotations

import itertools
from typing import Any

from rapport.contacts import services
from rapport.contacts.models import Company, Contact
from rapport.core.permissions import actor_for
from rapport.core.scoping import audit_context, workspace_scope

_n = itertools.count(1)


def make_company(owner, workspace=None, *, actor_user=None, **data: Any) -> Company:
    """A company owned by ``owner``, created by ``actor_user`` (default: the owner) in its workspace."""
    workspace = workspace or owner.last_workspace
    creator = actor_user or owner
    domains = data.pop("domains", None)
    tags = data.pop("tags", None)
    addresses = data.pop("addresses", None)
    custom = data.pop("custom", None)
    data.setdefault("name", f"Company {next(_n)}")
    with workspace_scope(workspace.pk), audit_context(actor=creator, source="web"):
        return services.company_create(
            actor=actor_for(creator, workspace),
            data={"owner": owner.pk, **data},
            domains=domains,
            tags=tags,
            addresses=addresses,
            custom=custom,
        )


def make_contact(owner, workspace=None, *, actor_user=None, **data: Any) -> Contact:
    workspace = workspace or owner.last_workspace
    creator = actor_user or owner
    nested = {key: data.pop(key, None) for key in ("emails", "phones", "addresses", "tags", "custom")}
    n = next(_n)
    data.setdefault("first_name", f"Person{n}")
    data.setdefault("last_name", f"Test{n}")
    with workspace_scope(workspace.pk), audit_context(actor=creator, source="web"):
        return services.contact_create(actor=actor_for(creator, workspace), data={"owner": owner.pk, **data}, **nested)
