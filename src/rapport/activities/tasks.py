"""Background work of activities: SMTP sends, invitations, notification emails, the reminder sweep."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from rapport.activities import mail
from rapport.core.scoping import unscoped, workspace_scope
from rapport.core.tasks import periodic, retrying, workspace_task


class DeliveryFailed(Exception):
    """The SMTP server refused or was down; the outbox row says why and the task retries."""


@retrying(max_attempts=5, base_delay=30, retry_on=(DeliveryFailed,))
@workspace_task
def deliver_email(workspace_id: int, email_id: int, actor_id: int | None = None) -> str:
    outcome = mail.deliver(email_id)
    if outcome == "failed":
        raise DeliveryFailed(f"Email {email_id} could not be sent; it will be retried.")
    return outcome


@retrying(max_attempts=5, base_delay=30)
@workspace_task
def send_invitation(workspace_id: int, attendee_id: int, actor_id: int | None = None) -> str:
    return mail.send_invitation(attendee_id)


@retrying(max_attempts=5, base_delay=30)
@workspace_task
def email_notification(workspace_id: int, notification_id: int, actor_id: int | None = None) -> str:
    from rapport.activities.models import Notification

    with transaction.atomic():
        note = Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
        if note is None or note.emailed_at is not None:
            return "skipped"
        link = (
            f"\n\n{settings.SITE_URL.rstrip('/')}{note.url}" if note.url and getattr(settings, "SITE_URL", "") else ""
        )
        DjangoEmail(
            f"[Rapport] {note.title}", f"{note.title}{link}", settings.DEFAULT_FROM_EMAIL, [note.recipient.email]
        ).send()
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
        return "sent"


def sweep_reminders(now=None, batch: int = 500) -> int:
    """Notifies the assignees of every due, unsent reminder (partial index task_reminder_due); returns how
    many notifications were delivered (a member who turned reminders off gets none)."""
    from rapport.activities.models import NotificationKind, Task, TaskStatus
    from rapport.activities.notify import notify

    now = now or timezone.now()
    sent = 0
    with unscoped():
        due = list(
            Task.all_objects.filter(
                remind_at__lte=now, reminder_sent_at__isnull=True, remind_at__isnull=False, deleted_at__isnull=True
            )
            .order_by("remind_at")
            .values_list("pk", "workspace_id")[:batch]
        )
    for pk, workspace_id in due:
        with workspace_scope(workspace_id), transaction.atomic():
            task_row = Task.objects.select_for_update(of=("self",)).select_related("assignee").filter(pk=pk).first()
            if task_row is None or task_row.reminder_sent_at is not None:
                continue
            Task.objects.filter(pk=pk).update(reminder_sent_at=now)
            if task_row.status == TaskStatus.OPEN and task_row.assignee_id:
                due_text = (
                    timezone.localtime(task_row.due_at).strftime("%d %b %H:%M") if task_row.due_at else "no due date"
                )
                delivered = notify(
                    workspace_id=workspace_id,
                    recipient=task_row.assignee,
                    kind=NotificationKind.TASK_DUE,
                    title=f"Reminder: {task_row.title} (due {due_text})",
                    url="/tasks/",
                    activity=task_row.activity,
                )
                sent += delivered is not None
    return sent


@task
def reminder_sweep() -> int:
    return sweep_reminders()


periodic("activities-reminder-sweep", every=timedelta(minutes=1), task=reminder_sweep)
