"""Email from the record (outbox + background SMTP), meeting invitations and iCalendar feeds."""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail.utils import DNS_NAME
from django.db import models, transaction
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from rapport.activities.models import (
    Activity,
    ActivityKind,
    CalendarFeed,
    EmailMessage,
    EmailStatus,
    EmailTemplate,
    MeetingAttendee,
    Task,
    TaskStatus,
)
from rapport.activities.text import check_merge_fields, merge
from rapport.core.permissions import Actor
from rapport.core.tasks import enqueue_for


def consent_problem(contact: Any) -> str | None:
    """Why this contact must not be emailed, or None."""
    if contact.do_not_contact:
        return f"{contact} is marked do not contact: no email was sent."
    if contact.email_consent == "opted_out":
        return f"{contact} opted out of email: no email was sent."
    if not contact.primary_email:
        return f"{contact} has no email address: add one first."
    return None


@transaction.atomic
def compose_email(
    *,
    actor: Actor,
    contact: Any,
    subject: str,
    body: str,
    template: EmailTemplate | None = None,
    extra_targets: list[tuple[str, Any]] | None = None,
) -> EmailMessage:
    """Merges the fields, writes the email activity and its outbox row, and queues the SMTP send."""
    from rapport.activities.services import _write_links, resolve_targets

    if not actor.can_write:
        raise PermissionDenied("Your role may not send email.")
    problem = consent_problem(contact)
    if problem:
        raise ValidationError({"to": problem})
    if template is not None:
        subject = subject or template.subject
        body = body or template.body
    errors = {}
    if not (subject or "").strip():
        errors["subject"] = "Enter a subject."
    if not (body or "").strip():
        errors["body"] = "Write the message."
    for field, text in (("subject", subject or ""), ("body", body or "")):
        unknown = check_merge_fields(text)
        if unknown:
            errors[field] = f"Unknown merge field(s): {', '.join(unknown)}."
    if errors:
        raise ValidationError(errors)
    subject = merge(subject, contact=contact, sender=actor.user).strip()[:250]
    text = merge(body, contact=contact, sender=actor.user)
    targets = resolve_targets(actor, [("contacts.contact", contact.pk), *(extra_targets or [])])
    activity = Activity(
        workspace_id=actor.workspace.pk,
        owner_id=actor.user.pk,
        kind=ActivityKind.EMAIL,
        subject=subject,
        body="".join(f"<p>{_escape(line)}</p>" for line in text.splitlines() if line.strip()),
    )
    activity.save()
    _write_links(activity, targets)
    message = EmailMessage.objects.create(
        workspace_id=actor.workspace.pk,
        activity=activity,
        contact=contact,
        from_address=actor.user.email or settings.DEFAULT_FROM_EMAIL,
        to_address=contact.primary_email,
        subject=subject,
        text_body=text,
    )
    _queue(actor, message)
    return message


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


def _queue(actor: Actor, message: EmailMessage) -> None:
    from rapport.activities.tasks import deliver_email

    result = enqueue_for(actor, deliver_email, email_id=message.pk)
    EmailMessage.objects.filter(pk=message.pk).update(task_id=str(result.id))


@transaction.atomic
def retry_email(*, actor: Actor, message: EmailMessage) -> None:
    if message.status != EmailStatus.FAILED:
        raise ValidationError("Only a failed email can be sent again.")
    problem = consent_problem(message.contact) if message.contact_id else None
    if problem:
        raise ValidationError({"to": problem})
    EmailMessage.objects.filter(pk=message.pk).update(status=EmailStatus.QUEUED, error="")
    _queue(actor, message)


def deliver(email_id: int) -> str:
    """Sends one queued email (idempotent: a sent one is skipped). Raises on SMTP failure for retry."""
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().filter(pk=email_id).first()
        if message is None or message.status in (EmailStatus.SENT, EmailStatus.LOGGED):
            return "skipped"
        if message.contact_id:
            problem = consent_problem(message.contact)
            if problem:
                message.status, message.error = EmailStatus.FAILED, problem
                message.save(update_fields=["status", "error"])
                return "refused"
        message.attempts += 1
        message_id = make_msgid(domain=DNS_NAME.get_fqdn())
        email = DjangoEmail(
            message.subject,
            message.text_body,
            settings.DEFAULT_FROM_EMAIL,
            [message.to_address],
            reply_to=[message.from_address] if message.from_address else None,
            headers={"Message-ID": message_id},
        )
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            message.status = EmailStatus.FAILED
            message.error = f"{type(exc).__name__}: {exc}"[:2000]
            message.save(update_fields=["status", "error", "attempts"])
            return "failed"
        message.status = EmailStatus.SENT
        message.error = ""
        message.sent_at = timezone.now()
        message.message_id = message_id
        message.save(update_fields=["status", "error", "attempts", "sent_at", "message_id"])
        return "sent"


# --- Meeting invitations and feeds ----------------------------------------------------------


def meeting_event(activity: Activity, *, method_request: bool = False) -> Event:
    event = Event()
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS and settings.ALLOWED_HOSTS[0] != "*" else "rapport"
    event.add("uid", f"activity-{activity.pk}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", activity.starts_at)
    event.add("dtend", activity.ends_at or activity.starts_at + timedelta(hours=1))
    event.add("summary", activity.subject or "Meeting")
    if activity.location:
        event.add("location", activity.location)
    if method_request:
        organizer = vCalAddress(f"mailto:{activity.owner.email if activity.owner_id else settings.DEFAULT_FROM_EMAIL}")
        event["organizer"] = organizer
        for attendee in activity.attendees.all():
            address = vCalAddress(f"mailto:{attendee.email}")
            address.params["rsvp"] = vText("TRUE")
            event.add("attendee", address, encode=0)
    return event


def invitation_ics(activity: Activity) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Rapport CRM//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    cal.add_component(meeting_event(activity, method_request=True))
    return cal.to_ical()


def queue_invitations(*, actor: Actor, activity: Activity) -> int:
    """One outbox email per attendee (not the organizer), with the meeting as an .ics attachment.

    Asking again queues only those not invited yet; a queued invitation is sent once whatever happens
    (``send_invitation`` locks the attendee and skips one already sent)."""
    from rapport.activities.tasks import send_invitation

    count = 0
    organizers = {actor.user.pk, activity.owner_id}
    for attendee in activity.attendees.select_related("contact"):
        if attendee.user_id in organizers or attendee.invitation_sent_at:
            continue
        if attendee.contact_id and consent_problem(attendee.contact):
            continue
        enqueue_for(actor, send_invitation, attendee_id=attendee.pk)
        count += 1
    return count


def send_invitation(attendee_id: int) -> str:
    with transaction.atomic():
        attendee = MeetingAttendee.objects.select_for_update().select_related("activity").filter(pk=attendee_id).first()
        if attendee is None or attendee.invitation_sent_at:
            return "skipped"
        activity = attendee.activity
        when = timezone.localtime(activity.starts_at).strftime("%A %d %B %Y, %H:%M")
        email = DjangoEmail(
            f"Invitation: {activity.subject or 'Meeting'} ({when})",
            f"You are invited to {activity.subject or 'a meeting'} on {when}."
            + (f"\nLocation: {activity.location}" if activity.location else ""),
            settings.DEFAULT_FROM_EMAIL,
            [attendee.email],
        )
        email.attach("invite.ics", invitation_ics(activity), "text/calendar; method=REQUEST")
        email.send()  # an SMTP error propagates: the task is retried, the attendee stays unsent
        attendee.invitation_sent_at = timezone.now()
        attendee.save(update_fields=["invitation_sent_at"])
        return "sent"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_feed(*, actor: Actor) -> str:
    """A new secret feed token (shown once); earlier feeds of the member are revoked."""
    revoke_feeds(actor=actor)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(workspace=actor.workspace, user=actor.user, token_hash=_hash(token))
    return token


def revoke_feeds(*, actor: Actor) -> int:
    return CalendarFeed.objects.filter(workspace=actor.workspace, user=actor.user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed of this token; none once revoked, or once its member left the workspace."""
    from rapport.core.models import Membership

    active = Membership.objects.filter(
        workspace_id=models.OuterRef("workspace_id"), user_id=models.OuterRef("user_id"), is_active=True
    )
    return (
        CalendarFeed.objects.filter(
            models.Exists(active), token_hash=_hash(token or ""), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user", "workspace")
        .first()
    )


def feed_ics(feed: CalendarFeed) -> bytes:
    """The member's meetings and open tasks with a due time, from 30 days ago to one year ahead."""
    from django.db.models import Q

    now = timezone.now()
    start, end = now - timedelta(days=30), now + timedelta(days=365)
    cal = Calendar()
    cal.add("prodid", "-//Rapport CRM//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Rapport - {feed.user.get_full_name() or feed.user.email}")
    meetings = (
        Activity.all_objects.filter(
            workspace_id=feed.workspace_id,
            deleted_at__isnull=True,
            kind=ActivityKind.MEETING,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .filter(Q(owner_id=feed.user_id) | Q(attendees__user_id=feed.user_id))
        .distinct()[:2000]
    )
    for activity in meetings:
        cal.add_component(meeting_event(activity))
    tasks = Task.all_objects.filter(
        workspace_id=feed.workspace_id,
        deleted_at__isnull=True,
        assignee_id=feed.user_id,
        status=TaskStatus.OPEN,
        due_at__gte=start,
        due_at__lt=end,
    )[:2000]
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.pk}@rapport")
        event.add("dtstamp", now)
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + timedelta(minutes=30))
        event.add("summary", f"Task: {task.title}")
        cal.add_component(event)
    return cal.to_ical()
