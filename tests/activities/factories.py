"""Records for activity tests, built directly (as fixtures) in the owner's workspace."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.activities.models import Activity, ActivityLink, EmailMessage, Notification, Task
from rapport.core.scoping import audit_context, workspace_scope


def make_activity(owner, workspace, *, kind="note", body="<p>Hello</p>", target=None, is_private=False, **extra):
    with workspace_scope(workspace.pk), audit_context(actor=owner, source="web"):
        activity = Activity(
            workspace=workspace,
            owner=owner,
            kind=kind,
            body=body,
            subject=extra.pop("subject", f"{kind} x"),
            is_private=is_private,
            **extra,
        )
        activity.save()
        if target is not None:
            ActivityLink.objects.create(
                workspace=workspace,
                activity=activity,
                target_type=target._meta.label_lower,
                target_id=target.pk,
                occurred_at=activity.occurred_at,
                kind=kind,
            )
    return activity


def make_task(owner, workspace, *, assignee=None, title="Call back", due_in=timedelta(days=1), **extra):
    activity = make_activity(owner, workspace, kind="task", body="", subject=title)
    with workspace_scope(workspace.pk), audit_context(actor=owner, source="web"):
        task = Task(
            workspace=workspace,
            activity=activity,
            title=title,
            assignee=assignee or owner,
            due_at=extra.pop("due_at", timezone.now() + due_in if due_in is not None else None),
            **extra,
        )
        task.save()
    return task


def make_failed_email(owner, workspace, contact=None):
    activity = make_activity(owner, workspace, kind="email", body="<p>Hi</p>", target=contact)
    with workspace_scope(workspace.pk):
        EmailMessage.objects.create(
            workspace=workspace,
            activity=activity,
            contact=contact,
            to_address="x@example.com",
            subject="Hi",
            text_body="Hi",
            status="failed",
            error="SMTPRecipientsRefused",
        )
    return activity


def make_notification(recipient, workspace, **extra):
    with workspace_scope(workspace.pk):
        return Notification.objects.create(
            workspace=workspace,
            recipient=recipient,
            kind=extra.pop("kind", "mentioned"),
            title=extra.pop("title", "You were mentioned"),
            **extra,
        )
