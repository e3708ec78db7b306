"""Write side of activities: log notes, calls, meetings; tasks with reminders and recurrence; comments."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.activities import notify
from rapport.activities.models import (
    Activity,
    ActivityKind,
    ActivityLink,
    CallDirection,
    CallOutcome,
    Comment,
    MeetingAttendee,
    NotificationKind,
    RecurrenceUnit,
    Task,
    TaskPriority,
    TaskStatus,
)
from rapport.activities.selectors import target_record
from rapport.activities.text import mentioned_users, sanitize
from rapport.core.models import Membership
from rapport.core.permissions import Actor, can_change, visible

LOGGABLE = (ActivityKind.NOTE, ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL)


def _require_write(actor: Actor) -> None:
    if not actor.can_write:
        raise PermissionDenied("Your role may not add activities.")


def resolve_targets(actor: Actor, targets: list[tuple[str, Any]]) -> list[tuple[str, int]]:
    """Checks each (type, id) is a record the actor sees; adds a contact's or deal's company."""
    resolved: list[tuple[str, int]] = []
    for target_type, target_id in targets:
        record = target_record(actor, target_type, target_id)
        pair = (target_type, record.pk)
        if pair not in resolved:
            resolved.append(pair)
        company_id = getattr(record, "company_id", None)
        if company_id and ("contacts.company", company_id) not in resolved:
            resolved.append(("contacts.company", company_id))
    return resolved


def _write_links(activity: Activity, targets: list[tuple[str, int]]) -> None:
    ActivityLink.objects.bulk_create(
        [
            ActivityLink(
                workspace_id=activity.workspace_id,
                activity=activity,
                target_type=t,
                target_id=i,
                occurred_at=activity.occurred_at,
                kind=activity.kind,
            )
            for t, i in targets
        ],
        ignore_conflicts=True,
    )


def _clean_common(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    kind = data.get("kind")
    if kind not in LOGGABLE:
        errors["kind"] = f"Choose one of: {', '.join(k.value for k in LOGGABLE)}."
    if kind == ActivityKind.CALL:
        if data.get("call_direction") and data["call_direction"] not in CallDirection.values:
            errors["call_direction"] = "Choose inbound or outbound."
        if data.get("call_outcome") and data["call_outcome"] not in CallOutcome.values:
            errors["call_outcome"] = f"Choose one of: {', '.join(CallOutcome.values)}."
        duration = data.get("call_duration_seconds")
        if duration is not None and (not isinstance(duration, int) or duration < 0):
            errors["call_duration_seconds"] = "Enter the duration as a whole number of seconds (0 or more)."
    if kind == ActivityKind.MEETING:
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if not starts:
            errors["starts_at"] = "Enter when the meeting starts."
        elif ends and ends <= starts:
            errors["ends_at"] = "The meeting must end after it starts."
    if kind == ActivityKind.NOTE and not (data.get("body") or "").strip():
        errors["body"] = "Write the note."
    if errors:
        raise ValidationError(errors)
    return data


def _resolve_attendees(actor: Actor, attendees: list[str]) -> list[dict[str, Any]]:
    """Attendees are member or contact email addresses; anything unknown is refused by name."""
    from rapport.contacts.models import Contact

    User = get_user_model()
    member_ids = Membership.objects.filter(workspace=actor.workspace, is_active=True).values_list("user_id", flat=True)
    out, unknown = [], []
    for raw in attendees:
        email = (raw or "").strip().lower()
        if not email:
            continue
        user = User.objects.filter(pk__in=member_ids, email__iexact=email).first()
        if user is not None:
            out.append({"user": user, "email": user.email})
            continue
        contact = visible(Contact.objects.all(), actor).filter(primary_email__iexact=email).first()
        if contact is not None:
            out.append({"contact": contact, "email": contact.primary_email})
            continue
        unknown.append(raw)
    if unknown:
        raise ValidationError(
            {"attendees": f"Unknown attendee(s): {', '.join(unknown)}. Use a member's or a contact's email address."}
        )
    return out


@transaction.atomic
def log_activity(
    *,
    actor: Actor,
    data: dict[str, Any],
    targets: list[tuple[str, Any]],
    attendees: list[str] | None = None,
    send_invitations: bool = False,
) -> Activity:
    """Log a note, call, meeting or hand-logged email on one or more records."""
    _require_write(actor)
    data = _clean_common(dict(data))
    if not targets:
        raise ValidationError({"targets": "Link the activity to at least one contact, company or deal."})
    resolved = resolve_targets(actor, targets)
    people = _resolve_attendees(actor, attendees or []) if data["kind"] == ActivityKind.MEETING else []
    fields = {
        k: data[k]
        for k in (
            "kind",
            "subject",
            "occurred_at",
            "is_private",
            "is_pinned",
            "call_direction",
            "call_duration_seconds",
            "call_outcome",
            "starts_at",
            "ends_at",
            "location",
        )
        if data.get(k) is not None
    }
    fields["body"] = sanitize(data.get("body") or "")
    if data["kind"] == ActivityKind.MEETING:
        fields["occurred_at"] = data["starts_at"]  # a meeting sits on the timeline at its start
    activity = Activity(workspace_id=actor.workspace.pk, owner_id=actor.user.pk, **fields)
    activity.full_clean(exclude=["workspace", "owner"])
    activity.save()
    _write_links(activity, resolved)
    for person in people:
        MeetingAttendee.objects.create(
            workspace_id=actor.workspace.pk,
            activity=activity,
            user=person.get("user"),
            contact=person.get("contact"),
            email=person["email"],
        )
    if activity.kind == ActivityKind.EMAIL:
        _log_email_by_hand(activity, resolved, data.get("to_address") or "")
    if send_invitations and people:
        from rapport.activities import mail

        mail.queue_invitations(actor=actor, activity=activity)
    if not activity.is_private:
        _notify_mentions(actor, activity, activity.body)
    return activity


def _log_email_by_hand(activity: Activity, targets: list[tuple[str, int]], to_address: str) -> None:
    """An email logged by hand (sent outside Rapport) gets its outbox row with the status *logged*:
    the timeline and the API show it like any email, and the worker never sends it."""
    from rapport.activities.models import EmailMessage, EmailStatus
    from rapport.activities.text import plain_text
    from rapport.contacts.models import Contact

    contact_ids = [pk for label, pk in targets if label == "contacts.contact"]
    contact = Contact.objects.filter(pk=contact_ids[0]).first() if contact_ids else None
    EmailMessage.objects.create(
        workspace_id=activity.workspace_id,
        activity=activity,
        contact=contact,
        to_address=(to_address or (contact.primary_email if contact else ""))[:254],
        subject=(activity.subject or "")[:250],
        text_body=plain_text(activity.body),
        status=EmailStatus.LOGGED,
    )


def _notify_mentions(actor: Actor, activity: Activity, text: str, skip: set[int] = frozenset()) -> None:
    """Notifies each member named in ``text`` (not the author, nor those in ``skip``, already told)."""
    for user in mentioned_users(actor.workspace.pk, text):
        if user.pk == actor.user.pk or user.pk in skip:
            continue
        notify.notify(
            workspace_id=actor.workspace.pk,
            recipient=user,
            kind=NotificationKind.MENTIONED,
            title=f"{actor.user.get_full_name() or actor.user.email} mentioned you: {activity}",
            url=f"/activities/{activity.pk}/",
            actor_user=actor.user,
            activity=activity,
        )


@transaction.atomic
def update_activity(
    *, actor: Actor, activity: Activity, data: dict[str, Any], expected_version: int | None = None
) -> Activity:
    """Edit an activity (History keeps every version); links keep their copy of the date in step."""
    if not can_change(actor, activity) or activity.kind == ActivityKind.EVENT:
        raise PermissionDenied("You may not change this activity.")
    if expected_version is not None and expected_version != activity.version:
        from rapport.core.models import ConflictError

        raise ConflictError(activity, activity.version)
    merged = {f: getattr(activity, f) for f in ("kind", "body", "starts_at", "ends_at")} | dict(data)
    if activity.kind != ActivityKind.TASK:
        _clean_common(merged)
    for field in ("subject", "is_pinned", "is_private", "occurred_at", "location", "starts_at", "ends_at"):
        if field in data:
            setattr(activity, field, data[field])
    for field in ("call_direction", "call_duration_seconds", "call_outcome"):
        if field in data:
            setattr(activity, field, data[field])
    if activity.kind == ActivityKind.MEETING and activity.starts_at:
        activity.occurred_at = activity.starts_at  # moving the meeting moves it on the timeline
    before = {user.pk for user in mentioned_users(actor.workspace.pk, activity.body)} if "body" in data else set()
    if "body" in data:
        activity.body = sanitize(data["body"])
    activity.full_clean(exclude=["workspace", "owner"])
    activity.save()
    ActivityLink.objects.filter(activity=activity).update(occurred_at=activity.occurred_at)
    if "body" in data and not activity.is_private:
        _notify_mentions(actor, activity, activity.body, skip=before)
    return activity


@transaction.atomic
def delete_activity(*, actor: Actor, activity: Activity, expected_version: int | None = None) -> None:
    """Moves the activity to the recycle bin (a task's entry takes its task along)."""
    from rapport.core.services import record_delete

    if activity.kind == ActivityKind.EVENT and not actor.is_admin:
        raise PermissionDenied("System events can only be removed by an admin.")
    record_delete(actor=actor, record=activity, expected_version=expected_version)
    if activity.kind == ActivityKind.TASK:
        for task in Task.objects.filter(activity=activity):
            record_delete(actor=actor, record=task)


@transaction.atomic
def send_meeting_invitations(*, actor: Actor, activity: Activity) -> int:
    """Queues an .ics invitation to each attendee not invited yet (never the organizer, nor a contact
    who may not be emailed); returns how many were queued."""
    if not actor.can_write or not can_change(actor, activity):
        raise PermissionDenied("You may not send invitations for this meeting.")
    if activity.kind != ActivityKind.MEETING:
        raise ValidationError({"kind": "Only a meeting has invitations to send."})
    if not activity.starts_at:
        raise ValidationError({"starts_at": "The meeting has no start time."})
    if not activity.attendees.exists():
        raise ValidationError({"attendees": "The meeting has no attendees to invite."})
    from rapport.activities import mail

    return mail.queue_invitations(actor=actor, activity=activity)


def set_pinned(*, actor: Actor, activity: Activity, pinned: bool) -> Activity:
    return update_activity(actor=actor, activity=activity, data={"is_pinned": pinned})


# --- Tasks ------------------------------------------------------------------------------------


def _member(actor: Actor, user_id: Any):
    if user_id in (None, ""):
        return None
    membership = (
        Membership.objects.filter(workspace=actor.workspace, is_active=True, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ValidationError({"assignee": "Choose a member of this workspace as the assignee."})
    return membership.user


def _clean_task(data: dict[str, Any], *, now: datetime, creating: bool) -> None:
    errors: dict[str, str] = {}
    if not (data.get("title") or "").strip():
        errors["title"] = "Enter what needs to be done."
    if data.get("priority") and data["priority"] not in TaskPriority.values:
        errors["priority"] = f"Choose one of: {', '.join(TaskPriority.values)}."
    remind_at = data.get("remind_at")
    if remind_at is not None and remind_at < now - timedelta(minutes=1) and data.get("_remind_changed", creating):
        errors["remind_at"] = "The reminder time is in the past; choose a time from now on."
    unit, interval = data.get("recurrence_unit") or "", data.get("recurrence_interval")
    if unit and unit not in RecurrenceUnit.values:
        errors["recurrence_unit"] = "Repeat every days, weeks or months."
    if unit and (not isinstance(interval, int) or not 1 <= interval <= 365):
        errors["recurrence_interval"] = "Repeat every 1 to 365 days, weeks or months."
    if unit and not data.get("due_at"):
        errors["due_at"] = "A repeating task needs a due date."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_task(*, actor: Actor, data: dict[str, Any], targets: list[tuple[str, Any]] | None = None) -> Task:
    _require_write(actor)
    now = timezone.now()
    _clean_task(data, now=now, creating=True)
    assignee = _member(actor, data.get("assignee", actor.user.pk))
    resolved = resolve_targets(actor, targets or [])
    activity = Activity(
        workspace_id=actor.workspace.pk,
        owner_id=actor.user.pk,
        kind=ActivityKind.TASK,
        subject=data["title"].strip(),
        body=sanitize(data.get("notes") or ""),
        occurred_at=data.get("due_at") or now,
    )
    activity.save()
    _write_links(activity, resolved)
    task = Task(
        workspace_id=actor.workspace.pk,
        activity=activity,
        title=data["title"].strip(),
        due_at=data.get("due_at"),
        priority=data.get("priority") or TaskPriority.NORMAL,
        assignee=assignee,
        remind_at=data.get("remind_at"),
        recurrence_unit=data.get("recurrence_unit") or "",
        recurrence_interval=data.get("recurrence_interval") if data.get("recurrence_unit") else None,
        previous=data.get("_previous"),
    )
    task.save()
    if assignee is not None and assignee.pk != actor.user.pk:
        notify.notify(
            workspace_id=actor.workspace.pk,
            recipient=assignee,
            kind=NotificationKind.ASSIGNED,
            title=f"{actor.user.get_full_name() or actor.user.email} assigned you a task: {task.title}",
            url="/tasks/",
            actor_user=actor.user,
            activity=activity,
        )
    return task


def _can_change_task(actor: Actor, task: Task) -> bool:
    return actor.can_write and (task.assignee_id == actor.user.pk or can_change(actor, task.activity))


@transaction.atomic
def delete_task(*, actor: Actor, task: Task, expected_version: int | None = None) -> None:
    """Moves the task and its timeline entry to the recycle bin."""
    from rapport.core.services import record_delete

    if not _can_change_task(actor, task):
        raise PermissionDenied("You may not delete this task.")
    record_delete(actor=actor, record=task, expected_version=expected_version)
    activity = Activity.objects.filter(pk=task.activity_id).first()
    if activity is not None:
        record_delete(actor=actor, record=activity)


@transaction.atomic
def update_task(*, actor: Actor, task: Task, data: dict[str, Any], expected_version: int | None = None) -> Task:
    if not _can_change_task(actor, task):
        raise PermissionDenied("You may not change this task.")
    if expected_version is not None and expected_version != task.version:
        from rapport.core.models import ConflictError

        raise ConflictError(task, task.version)
    merged = {
        "title": task.title,
        "due_at": task.due_at,
        "priority": task.priority,
        "remind_at": task.remind_at,
        "recurrence_unit": task.recurrence_unit,
        "recurrence_interval": task.recurrence_interval,
    } | dict(data)
    merged["_remind_changed"] = "remind_at" in data and data["remind_at"] != task.remind_at
    _clean_task(merged, now=timezone.now(), creating=False)
    previous_assignee = task.assignee_id
    if "assignee" in data:
        task.assignee = _member(actor, data["assignee"])
    for field in ("title", "due_at", "priority", "recurrence_unit", "recurrence_interval"):
        if field in data:
            setattr(task, field, data[field])
    if "remind_at" in data and data["remind_at"] != task.remind_at:
        task.remind_at = data["remind_at"]
        task.reminder_sent_at = None
    task.save()
    activity = task.activity
    activity.subject = task.title
    activity.occurred_at = task.due_at or activity.occurred_at
    activity.save()
    ActivityLink.objects.filter(activity=activity).update(occurred_at=activity.occurred_at)
    if task.assignee_id and task.assignee_id != previous_assignee and task.assignee_id != actor.user.pk:
        notify.notify(
            workspace_id=actor.workspace.pk,
            recipient=task.assignee,
            kind=NotificationKind.ASSIGNED,
            title=f"{actor.user.get_full_name() or actor.user.email} assigned you a task: {task.title}",
            url="/tasks/",
            actor_user=actor.user,
            activity=activity,
        )
    return task


def add_interval(moment: datetime, unit: str, interval: int) -> datetime:
    if unit == RecurrenceUnit.DAYS:
        return moment + timedelta(days=interval)
    if unit == RecurrenceUnit.WEEKS:
        return moment + timedelta(weeks=interval)
    month = moment.month - 1 + interval
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@transaction.atomic
def complete_task(*, actor: Actor, task: Task) -> Task | None:
    """Mark done; a repeating task schedules its next occurrence (returned)."""
    if not _can_change_task(actor, task):
        raise PermissionDenied("You may not change this task.")
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.DONE:
        return None
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    task.save()
    if not task.recurrence_unit or not task.due_at:
        return None
    due = add_interval(task.due_at, task.recurrence_unit, task.recurrence_interval or 1)
    remind = None
    if task.remind_at:
        remind = due - (task.due_at - task.remind_at)
        if remind < timezone.now():
            remind = None
    targets = list(task.activity.links.values_list("target_type", "target_id"))
    return create_task(
        actor=actor,
        data={
            "title": task.title,
            "due_at": due,
            "priority": task.priority,
            "assignee": task.assignee_id,
            "remind_at": remind,
            "recurrence_unit": task.recurrence_unit,
            "recurrence_interval": task.recurrence_interval,
            "notes": task.activity.body,
            "_previous": task,
        },
        targets=targets,
    )


@transaction.atomic
def reopen_task(*, actor: Actor, task: Task) -> Task:
    if not _can_change_task(actor, task):
        raise PermissionDenied("You may not change this task.")
    task.status = TaskStatus.OPEN
    task.completed_at = None
    task.save()
    return task


# --- Comments ---------------------------------------------------------------------------------


@transaction.atomic
def add_comment(*, actor: Actor, activity: Activity, body: str) -> Comment:
    _require_write(actor)
    clean = sanitize(body)
    if not clean:
        raise ValidationError({"body": "Write the comment."})
    comment = Comment(workspace_id=actor.workspace.pk, activity=activity, body=clean)
    comment.save()
    if not activity.is_private:
        _notify_mentions(actor, activity, clean)
    return comment
