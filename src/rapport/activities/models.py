"""Activities: one shared timeline (notes, calls, meetings, emails, tasks, system events), tasks with
reminders and recurrence, comments, notifications and calendar feeds.

An :class:`Activity` appears on several records through :class:`ActivityLink` rows (a meeting with
a contact also appears on her company and on the deal). The link table carries copies of the
activity's ``occurred_at`` and ``kind`` so a record's timeline is one index range scan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rapport.core.models import OwnedRecord, Workspace, WorkspaceManager, WorkspaceScoped


class ActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    TASK = "task", "Task"
    EVENT = "event", "System event"


class CallDirection(models.TextChoices):
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"


class CallOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected"
    VOICEMAIL = "voicemail", "Left voicemail"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class Activity(OwnedRecord):
    """One entry of the timeline. ``owner`` is the author (or the person who logged it)."""

    kind = models.CharField(max_length=8, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True, help_text="Sanitized HTML.")
    occurred_at = models.DateTimeField(default=timezone.now)
    is_private = models.BooleanField(default=False, help_text="Only the author sees a private note.")
    is_pinned = models.BooleanField(default=False)
    # calls
    call_direction = models.CharField(max_length=8, choices=CallDirection.choices, blank=True)
    call_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    call_outcome = models.CharField(max_length=16, choices=CallOutcome.choices, blank=True)
    # meetings
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    # system events: e.g. {"event": "stage_changed", "from": "Qualify", "to": "Proposal"}
    event_type = models.CharField(max_length=32, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(OwnedRecord.Meta):
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["workspace", "kind", "-occurred_at"], name="activity_ws_kind_at"),
            models.Index(fields=["workspace", "owner", "starts_at"], name="activity_ws_owner_start"),
            # pinned entries are few: a timeline reads them first, then checks their links
            models.Index(
                fields=["workspace", "-occurred_at"], condition=models.Q(is_pinned=True), name="activity_ws_pinned"
            ),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.get_kind_display()} {self.pk}"


class ActivityLink(models.Model):
    """Puts an activity on the timeline of one record (``target_type`` is a model label)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="links")
    target_type = models.CharField(max_length=40)  # "contacts.contact", "contacts.company", "sales.deal"
    target_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()  # copy of activity.occurred_at
    kind = models.CharField(max_length=8, choices=ActivityKind.choices)  # copy of activity.kind

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "target_type", "target_id"], name="activitylink_unique")
        ]
        indexes = [
            models.Index(
                "workspace", "target_type", "target_id", models.F("occurred_at").desc(), name="activitylink_timeline"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} on {self.target_type}:{self.target_id}"


class MeetingAttendee(models.Model):
    """Somebody invited to a meeting: a member, a contact, or a bare address (exactly one)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="meeting_invitations"
    )
    email = models.EmailField(blank=True)
    invitation_sent_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["workspace", "user"], name="attendee_ws_user")]

    def __str__(self) -> str:
        return self.email or str(self.user or self.contact)


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class RecurrenceUnit(models.TextChoices):
    NONE = "", "Does not repeat"
    DAYS = "days", "Days"
    WEEKS = "weeks", "Weeks"
    MONTHS = "months", "Months"


class Task(WorkspaceScoped):
    """A to-do with a due time, an assignee and an optional reminder; its timeline entry is ``activity``."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="task")
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=8, choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    remind_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    recurrence_unit = models.CharField(max_length=8, choices=RecurrenceUnit.choices, blank=True)
    recurrence_interval = models.PositiveSmallIntegerField(null=True, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta(WorkspaceScoped.Meta):
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "assignee", "status", "due_at"], name="task_ws_assignee_due"),
            models.Index(fields=["workspace", "assignee", "status", "-completed_at"], name="task_ws_assignee_done"),
            models.Index(
                fields=["remind_at"],
                condition=models.Q(reminder_sent_at__isnull=True, remind_at__isnull=False, deleted_at__isnull=True),
                name="task_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Comment(WorkspaceScoped):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(help_text="Sanitized HTML.")

    class Meta(WorkspaceScoped.Meta):
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["workspace", "activity", "created_at"], name="comment_ws_activity")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.activity_id}"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    LOGGED = "logged", "Logged by hand"


class EmailMessage(models.Model):
    """The outbox row of an email activity: sent once, marked sent in the same transaction."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="email")
    contact = models.ForeignKey("contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_address = models.CharField(max_length=254, blank=True)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=250)
    text_body = models.TextField()
    status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "status"], name="email_ws_status")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address} ({self.status})"


class EmailTemplate(WorkspaceScoped):
    """Subject and body with merge fields such as ``{{ contact.first_name }}``."""

    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=250)
    body = models.TextField()

    class Meta(WorkspaceScoped.Meta):
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], condition=models.Q(deleted_at__isnull=True), name="emailtemplate_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class NotificationKind(models.TextChoices):
    MENTIONED = "mentioned", "Mentioned"
    ASSIGNED = "assigned", "Task assigned"
    TASK_DUE = "task_due", "Task due (reminder)"
    DEAL_WON = "deal_won", "Deal won"
    RECORD_SHARED = "record_shared", "Record shared or reassigned"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "In-app and email"
    OFF = "off", "Off"


class Notification(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    title = models.CharField(max_length=250)
    url = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "recipient", "-created_at"], name="notif_ws_recipient"),
            models.Index(
                fields=["workspace", "recipient"], condition=models.Q(read_at__isnull=True), name="notif_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.IN_APP)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user", "kind"], name="notifpref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"


class CalendarFeed(models.Model):
    """A member's secret iCalendar feed; only the SHA-256 of the token is stored. Revoke to disable."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "user"], name="calfeed_ws_user")]

    def __str__(self) -> str:
        return f"Feed of {self.user_id}"
