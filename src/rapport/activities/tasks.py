"""Background work of activities: SMTP sends, invitations, notification emails, the reminder sweep."""

from __future__ import annotations

import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from rapport.activities import mail
from rapport.core.scoping import unscoped
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


def _notification_email(note) -> DjangoEmail:
    link = f"\n\n{settings.SITE_URL.rstrip('/')}{note.url}" if note.url and getattr(settings, "SITE_URL", "") else ""
    return DjangoEmail(
        f"[Rapport] {note.title}", f"{note.title}{link}", settings.DEFAULT_FROM_EMAIL, [note.recipient.email]
    )


@retrying(max_attempts=5, base_delay=30)
@workspace_task
def email_notification(workspace_id: int, notification_id: int, actor_id: int | None = None) -> str:
    from rapport.activities.models import Notification

    with transaction.atomic():
        note = Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
        if note is None or note.emailed_at is not None:
            return "skipped"
        _notification_email(note).send()
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
        return "sent"


@retrying(max_attempts=5, base_delay=30, retry_on=(DeliveryFailed,))
@workspace_task
def email_notifications(workspace_id: int, notification_ids: list[int], actor_id: int | None = None) -> int:
    """The email copies of many notifications over one SMTP connection; each is sent once.

    The rows are locked (others' locked rows are skipped: another run is sending them) and only those
    not emailed yet are sent. When the server fails part-way, the ones already sent are marked and
    the task is retried for the rest.
    """
    from django.core.mail import mailers

    from rapport.activities.models import Notification

    failure: Exception | None = None
    with transaction.atomic():
        notes = list(
            Notification.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("recipient")
            .filter(pk__in=notification_ids, emailed_at__isnull=True)
            .order_by("pk")
        )
        sent: list[int] = []
        if notes:
            try:
                with mailers.default as connection:
                    for note in notes:
                        if connection.send_messages([_notification_email(note)]):
                            sent.append(note.pk)
            except (smtplib.SMTPException, OSError) as exc:
                failure = exc
            if sent:
                Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    if failure is not None:
        raise DeliveryFailed(f"{len(notes) - len(sent)} notification email(s) not sent: {failure}")
    return len(sent)


def sweep_reminders(now=None, batch: int = 500) -> int:
    """Notifies the assignees of up to ``batch`` due, unsent reminders in one transaction; returns how
    many notifications were written (a member who turned reminders off gets none).

    One query claims the due reminders (the partial index ``task_reminder_due``; ``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL, so a concurrent sweep takes other rows; SQLite transactions begin
    IMMEDIATE, so sweeps run one after the other), one UPDATE marks them sent, the preferences are
    read once, the notifications written with one ``bulk_create`` and the email copies queued as one
    task per workspace. Everything commits together, so each reminder is sent exactly once.
    """
    from rapport.activities.models import NotificationKind, Task, TaskStatus
    from rapport.activities.notify import Pending, notify_many

    now = now or timezone.now()
    with unscoped(), transaction.atomic():
        claimed = list(
            Task.all_objects.select_for_update(of=("self",), skip_locked=True)
            .filter(remind_at__lte=now, reminder_sent_at__isnull=True, remind_at__isnull=False, deleted_at__isnull=True)
            .order_by("remind_at")
            .values_list(
                "pk", "workspace_id", "status", "assignee_id", "assignee__email", "title", "due_at", "activity_id"
            )[:batch]
        )
        if not claimed:
            return 0
        Task.all_objects.filter(pk__in=[row[0] for row in claimed], reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
        pending = []
        for _pk, workspace_id, status, assignee_id, email, title, due_at, activity_id in claimed:
            if status != TaskStatus.OPEN or not assignee_id:
                continue
            due_text = timezone.localtime(due_at).strftime("%d %b %H:%M") if due_at else "no due date"
            pending.append(
                Pending(
                    workspace_id=workspace_id,
                    recipient_id=assignee_id,
                    recipient_email=email or "",
                    kind=NotificationKind.TASK_DUE,
                    title=f"Reminder: {title} (due {due_text})",
                    url="/tasks/",
                    activity_id=activity_id,
                )
            )
        return len(notify_many(pending))


@task
def reminder_sweep() -> int:
    return sweep_reminders()


periodic("activities-reminder-sweep", every=timedelta(minutes=1), task=reminder_sweep)
