"""The timeline panel on contact, company and deal pages (registered in apps.ready)."""

from __future__ import annotations

from typing import Any

from rapport.activities import selectors
from rapport.activities.models import ActivityKind, CallDirection, CallOutcome, TaskPriority


def timeline_panel(actor: Any, record: Any) -> dict[str, Any]:
    page = selectors.timeline(actor, record)
    label = record._meta.label_lower
    return {
        "page": page,
        "target_type": label,
        "target_id": record.pk,
        "kinds": ActivityKind.choices,
        "directions": CallDirection.choices,
        "outcomes": CallOutcome.choices,
        "priorities": TaskPriority.choices,
        "can_write": actor.can_write,
        "is_contact": label == "contacts.contact",
        "rollup": label == "contacts.company",
    }
