"""Demo activities: notes, calls, a meeting and tasks on the workspace's contacts (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.activities.models import Activity, ActivityKind
from rapport.core.models import Membership, Workspace
from rapport.core.permissions import actor_for
from rapport.core.roles import Role


def load_demo(workspace: Workspace) -> str:
    from rapport.activities import services
    from rapport.contacts.models import Contact

    if Activity.all_objects.filter(workspace=workspace).exclude(kind=ActivityKind.EVENT).exists():
        return "activities: demo data already loaded"
    membership = (
        Membership.objects.filter(workspace=workspace, role=Role.OWNER, is_active=True).select_related("user").first()
    )
    if membership is None:
        return "activities: no owner to load demo data as"
    actor = actor_for(membership.user, workspace)
    contacts = list(Contact.objects.filter(workspace=workspace).order_by("pk")[:12])
    now = timezone.now()
    count = 0
    for i, contact in enumerate(contacts):
        target = [("contacts.contact", contact.pk)]
        services.log_activity(
            actor=actor,
            data={
                "kind": "call",
                "subject": f"Intro call with {contact}",
                "call_direction": "outbound",
                "call_outcome": "connected",
                "call_duration_seconds": 300 + 60 * i,
                "occurred_at": now - timedelta(days=i + 1),
            },
            targets=target,
        )
        services.log_activity(
            actor=actor,
            data={"kind": "note", "body": f"<p>Follow-up notes about {contact}: budget confirmed.</p>"},
            targets=target,
        )
        services.create_task(
            actor=actor,
            data={"title": f"Send proposal to {contact}", "due_at": now + timedelta(days=i - 3), "priority": "normal"},
            targets=target,
        )
        count += 3
    return f"activities: {count} activities"
