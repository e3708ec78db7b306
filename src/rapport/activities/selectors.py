"""Read side of activities: who sees which activity, timelines, My tasks, the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import models
from django.http import Http404
from django.utils import timezone

from rapport.activities.models import (
    Activity,
    ActivityLink,
    MeetingAttendee,
    Notification,
    RecurrenceUnit,
    Task,
    TaskPriority,
    TaskStatus,
)
from rapport.core.permissions import Actor, can_view, visible

#: Record types an activity may be linked to (model labels).
TARGET_TYPES = ("contacts.contact", "contacts.company", "sales.deal")
PAGE = 50


def not_private_q(actor: Actor, prefix: str = "") -> models.Q:
    return models.Q(**{f"{prefix}is_private": False}) | models.Q(**{f"{prefix}owner_id": actor.user.pk})


def visible_activities(actor: Actor) -> models.QuerySet:
    """Activities whose author is in the actor's scope; private ones only for their author."""
    return visible(Activity.objects.all(), actor).filter(not_private_q(actor))


def activity_for(actor: Actor, pk: Any) -> Activity:
    try:
        return visible_activities(actor).get(pk=pk)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("No such activity.") from None


def target_record(actor: Actor, target_type: str, target_id: Any):
    """The record behind a (type, id) pair if the actor sees it, else Http404."""
    if target_type not in TARGET_TYPES:
        raise Http404("Activities cannot be linked to this kind of record.")
    model = apps.get_model(target_type)
    try:
        record = visible(model.objects.all(), actor).get(pk=target_id)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {model._meta.verbose_name}.") from None
    return record


RECORD_URLS = {
    "contacts.contact": "contacts:contact_detail",
    "contacts.company": "contacts:company_detail",
    "sales.deal": "sales:deal_detail",
}


def record_url(record: Any) -> str:
    from django.urls import reverse

    return reverse(RECORD_URLS[record._meta.label_lower], args=[record.pk])


def timeline_targets(record: Any) -> list[tuple[str, list[int]]]:
    """What a record's timeline reads: itself; a company also rolls up its contacts."""
    label = record._meta.label_lower
    targets = [(label, [record.pk])]
    if label == "contacts.company":
        contact_ids = list(
            apps.get_model("contacts.contact").objects.filter(company_id=record.pk).values_list("pk", flat=True)
        )
        if contact_ids:
            targets.append(("contacts.contact", contact_ids))
    return targets


@dataclass
class TimelinePage:
    entries: list[Activity]
    pinned: list[Activity]
    next_before: str | None


def timeline(
    actor: Actor, record: Any, *, kinds: list[str] | None = None, before: datetime | None = None, limit: int = PAGE
) -> TimelinePage:
    """The newest ``limit`` activities of a record (keyset page: older than ``before``)."""
    if not can_view(actor, record):
        raise Http404("No such record.")
    condition = models.Q()
    for label, ids in timeline_targets(record):
        condition |= models.Q(target_type=label, target_id__in=ids)
    visible_links = ActivityLink.objects.filter(
        condition,
        not_private_q(actor, "activity__"),
        workspace_id=actor.workspace.pk,
        activity__deleted_at__isnull=True,
    )
    links = visible_links
    if kinds:
        links = links.filter(kind__in=kinds)
    if before is not None:
        links = links.filter(occurred_at__lt=before)
    # One activity may be linked to the company and to several of its contacts: read the links in
    # chunks until limit + 1 distinct activities are found (one chunk unless an activity repeats a lot).
    ordered = links.order_by("-occurred_at", "-activity_id").values_list("activity_id", flat=True)
    activity_ids: list[int] = []
    step, start = (limit + 1) * 3, 0
    while len(activity_ids) <= limit:
        chunk = list(ordered[start : start + step])
        for activity_id in chunk:
            if activity_id not in activity_ids:
                activity_ids.append(activity_id)
        if len(chunk) < step:
            break
        start += step
    entries = list(
        Activity.objects.filter(pk__in=activity_ids[: limit + 1])
        .select_related("owner", "task", "email", "task__assignee")
        .order_by("-occurred_at", "-id")
    )
    next_before = None
    if len(entries) > limit:
        entries = entries[:limit]
        next_before = entries[-1].occurred_at.isoformat()
    # Pinned entries are few in a workspace (partial index): read them first, keep those on this record.
    on_record = ActivityLink.objects.filter(condition, activity_id=models.OuterRef("pk"))
    pinned = list(
        Activity.objects.filter(not_private_q(actor), workspace_id=actor.workspace.pk, is_pinned=True, deleted_at=None)
        .filter(models.Exists(on_record))
        .select_related("owner", "task", "email", "task__assignee")
        .order_by("-occurred_at", "-id")[:20]
    )
    return TimelinePage(entries=entries, pinned=pinned, next_before=next_before)


def linked_records(actor: Actor, activity: Activity) -> list[dict[str, Any]]:
    """The records an activity appears on that the actor may see: one query per record type, however
    many records it is linked to (each query reads its ids from the links by a subquery)."""
    out = []
    for target_type in TARGET_TYPES:
        ids = ActivityLink.objects.filter(activity_id=activity.pk, target_type=target_type).values("target_id")
        model = apps.get_model(target_type)
        for record in visible(model.objects.all(), actor).filter(pk__in=ids).order_by("pk"):
            out.append({"record": record, "url": record_url(record)})
    return out


def visible_tasks(actor: Actor) -> models.QuerySet:
    """Tasks the actor sees: assigned to them, or whose timeline entry they see."""
    return Task.objects.filter(
        models.Q(assignee_id=actor.user.pk) | models.Q(activity__in=visible_activities(actor))
    ).filter(workspace_id=actor.workspace.pk)


def task_for(actor: Actor, pk: Any) -> Task:
    try:
        return visible_tasks(actor).select_related("activity", "assignee").get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise Http404("No such task.") from None


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One line of My tasks: only what the page shows (no model instance to build per task)."""

    id: int
    activity_id: int
    title: str
    due_at: datetime | None
    priority: str
    status: str
    recurrence_unit: str
    recurrence_interval: int | None
    assignee: str = ""

    @property
    def due_text(self) -> str:
        """The due time in the reader's time zone (strftime: a tenth of the cost of the |date filter)."""
        return timezone.localtime(self.due_at).strftime("%Y-%m-%d %H:%M") if self.due_at else ""

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS.get(self.priority, self.priority)

    @property
    def recurrence_label(self) -> str:
        return RECURRENCE_LABELS.get(self.recurrence_unit, self.recurrence_unit).lower()


@dataclass
class TaskSection:
    rows: list[TaskRow]
    more: bool  # more tasks than shown (the page offers ?show=<section>)
    limit: int


PRIORITY_LABELS = dict(TaskPriority.choices)
RECURRENCE_LABELS = dict(RecurrenceUnit.choices)
#: Tasks shown per section of My tasks, and when one section is opened in full (?show=overdue).
SECTION_LIMIT = 50
DONE_LIMIT = 20
EXPANDED_LIMIT = 500
SECTIONS = ("overdue", "today", "upcoming", "done")
_ROW_FIELDS = (
    "id",
    "activity_id",
    "title",
    "due_at",
    "priority",
    "status",
    "recurrence_unit",
    "recurrence_interval",
)


def my_tasks(
    actor: Actor,
    *,
    user_ids: list[int] | None = None,
    now: datetime | None = None,
    show: str | None = None,
) -> dict[str, TaskSection]:
    """Open tasks bucketed overdue / today / upcoming (the soonest 50 of each), plus the last 20 done.

    Each section is one range scan of ``task_ws_assignee_due`` / ``task_ws_assignee_done`` reading
    ``limit + 1`` rows (to know whether there are more), as plain rows rather than model instances;
    ``show`` opens one section up to 500 rows. Whatever the number of tasks, four or five small
    queries (undated tasks are read after the dated upcoming ones, when there is room).
    """
    now = now or timezone.now()
    local_now = timezone.localtime(now)
    end_of_today = local_now.replace(hour=23, minute=59, second=59, microsecond=999999)
    ids = user_ids or [actor.user.pk]
    base = Task.objects.filter(workspace_id=actor.workspace.pk, assignee_id__in=ids)
    fields = _ROW_FIELDS + (("assignee__full_name", "assignee__email") if user_ids else ())
    open_tasks = base.filter(status=TaskStatus.OPEN)
    queries = {
        "overdue": open_tasks.filter(due_at__lt=now).order_by("due_at", "id"),
        "today": open_tasks.filter(due_at__gte=now, due_at__lte=end_of_today).order_by("due_at", "id"),
        # Upcoming is the dated ones after today, then the undated ones: two range scans. (One query
        # with "due_at > x OR due_at IS NULL" cannot start the index scan at x: it filtered every
        # overdue task first, 27 ms with 37,000 of them.)
        "upcoming": open_tasks.filter(due_at__gt=end_of_today).order_by("due_at", "id"),
        "done": base.filter(status=TaskStatus.DONE).order_by("-completed_at", "-id"),
    }
    undated = open_tasks.filter(due_at__isnull=True).order_by("id")

    def read(query: models.QuerySet, count: int) -> list[TaskRow]:
        return [
            TaskRow(*values[:8], assignee=(values[8] or values[9]) if user_ids else "")
            for values in query.values_list(*fields)[:count]
        ]

    sections = {}
    for name, query in queries.items():
        limit = EXPANDED_LIMIT if name == show else (DONE_LIMIT if name == "done" else SECTION_LIMIT)
        rows = read(query, limit + 1)
        if name == "upcoming" and len(rows) <= limit:
            rows += read(undated, limit + 1 - len(rows))
        sections[name] = TaskSection(rows=rows[:limit], more=len(rows) > limit, limit=limit)
    return sections


def team_user_ids(actor: Actor) -> list[int]:
    """Members whose tasks a manager (or an admin) may review in the team view."""
    from rapport.core.models import Membership

    members = Membership.objects.filter(workspace=actor.workspace, is_active=True)
    if not actor.is_admin:
        members = members.filter(team_id__in=actor.managed_team_ids)
    return list(members.values_list("user_id", flat=True))


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """One line of the week view: a meeting (``activity_id`` is the meeting) or a task due."""

    kind: str  # "meeting" or "task"
    activity_id: int
    title: str
    at: datetime


def calendar_week(actor: Actor, start: datetime) -> dict[str, list[CalendarItem]]:
    """The actor's meetings (authored or attended) and open tasks due in [start, start + 7 days).

    One query, a UNION ALL of the two, reading only the four columns the page shows: the meetings
    through ``activity_ws_owner_start`` or an EXISTS on the attendees (no join, no DISTINCT), the tasks
    through ``task_ws_assignee_due``; sorted by time in the database.
    """
    end = start + timedelta(days=7)
    attends = MeetingAttendee.objects.filter(
        workspace_id=actor.workspace.pk, activity_id=models.OuterRef("pk"), user_id=actor.user.pk
    )
    meetings = (
        Activity.objects.filter(
            models.Q(owner_id=actor.user.pk) | models.Exists(attends),
            workspace_id=actor.workspace.pk,
            kind="meeting",
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .annotate(item=models.Value("meeting"))
        .values_list("item", "pk", "subject", "starts_at")
        .order_by()
    )
    tasks = (
        Task.objects.filter(
            workspace_id=actor.workspace.pk,
            assignee_id=actor.user.pk,
            status=TaskStatus.OPEN,
            due_at__gte=start,
            due_at__lt=end,
        )
        .annotate(item=models.Value("task"))
        .values_list("item", "activity_id", "title", "due_at")
        .order_by()
    )
    items = [CalendarItem(*row) for row in meetings.union(tasks, all=True).order_by("starts_at", "pk")]
    return {
        "meetings": [i for i in items if i.kind == "meeting"],
        "tasks": [i for i in items if i.kind == "task"],
    }


def unread_count(actor: Actor) -> int:
    return Notification.objects.filter(
        workspace_id=actor.workspace.pk, recipient_id=actor.user.pk, read_at__isnull=True
    ).count()


def notifications_for(actor: Actor) -> models.QuerySet:
    return Notification.objects.filter(workspace_id=actor.workspace.pk, recipient_id=actor.user.pk).select_related(
        "actor"
    )
