"""Notifications: in-app rows, and an email copy when the recipient's preference says so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.activities.models import Channel, Notification, NotificationPreference

#: What each kind does when the member has not chosen: in-app, and reminders by email too (they are
#: asked for at a time, like a calendar alarm, so they reach the member away from Rapport).
DEFAULT_CHANNEL = Channel.IN_APP
DEFAULT_CHANNELS = {"task_due": Channel.EMAIL}


def default_channel(kind: str) -> str:
    return DEFAULT_CHANNELS.get(kind, DEFAULT_CHANNEL)


def channel_for(workspace_id: int, user_id: int, kind: str) -> str:
    pref = NotificationPreference.objects.filter(workspace_id=workspace_id, user_id=user_id, kind=kind).first()
    return pref.channel if pref else default_channel(kind)


def preferences(workspace_id: int, user_id: int) -> dict[str, str]:
    from rapport.activities.models import NotificationKind

    chosen = dict(
        NotificationPreference.objects.filter(workspace_id=workspace_id, user_id=user_id).values_list("kind", "channel")
    )
    return {kind.value: chosen.get(kind.value, default_channel(kind.value)) for kind in NotificationKind}


@transaction.atomic
def set_preferences(workspace_id: int, user_id: int, choices: dict[str, str]) -> None:
    from django.core.exceptions import ValidationError

    from rapport.activities.models import NotificationKind

    errors = {}
    for kind, channel in choices.items():
        if kind not in NotificationKind.values:
            errors[kind] = "Unknown notification kind."
        elif channel not in Channel.values:
            errors[kind] = "Choose in_app, email or off."
    if errors:
        raise ValidationError(errors)
    for kind, channel in choices.items():
        NotificationPreference.objects.update_or_create(
            workspace_id=workspace_id, user_id=user_id, kind=kind, defaults={"channel": channel}
        )


def notify(
    *,
    workspace_id: int,
    recipient: Any,
    kind: str,
    title: str,
    url: str = "",
    actor_user: Any = None,
    activity: Any = None,
) -> Notification | None:
    """Creates the notification unless the recipient turned this kind off; queues the email copy."""
    channel = channel_for(workspace_id, recipient.pk, kind)
    if channel == Channel.OFF:
        return None
    note = Notification.objects.create(
        workspace_id=workspace_id,
        recipient=recipient,
        kind=kind,
        title=title[:250],
        url=url,
        actor=actor_user,
        activity=activity,
    )
    if channel == Channel.EMAIL and recipient.email:
        from rapport.activities.tasks import email_notification

        email_notification.enqueue(workspace_id=workspace_id, notification_id=note.pk)
    return note


@dataclass(frozen=True)
class Pending:
    """One notification to write in bulk (:func:`notify_many`)."""

    workspace_id: int
    recipient_id: int
    recipient_email: str
    kind: str
    title: str
    url: str = ""
    activity_id: int | None = None
    actor_id: int | None = None


def notify_many(items: list[Pending]) -> list[Notification]:
    """Writes many notifications at once: the recipients' preferences in one query, the rows with one
    ``bulk_create``, and one ``email_notifications`` task per workspace for the email copies.

    Runs in the caller's transaction (the task rows commit with the notifications); works outside
    a workspace scope (the reminder sweep covers every workspace).
    """
    if not items:
        return []
    from rapport.core.scoping import unscoped

    workspaces = {item.workspace_id for item in items}
    users = {item.recipient_id for item in items}
    kinds = {item.kind for item in items}
    with unscoped():
        chosen = {
            (ws, user, kind): channel
            for ws, user, kind, channel in NotificationPreference.objects.filter(
                workspace_id__in=workspaces, user_id__in=users, kind__in=kinds
            ).values_list("workspace_id", "user_id", "kind", "channel")
        }
    rows, emailed = [], []
    now = timezone.now()
    for item in items:
        channel = chosen.get((item.workspace_id, item.recipient_id, item.kind), default_channel(item.kind))
        if channel == Channel.OFF:
            continue
        rows.append(
            Notification(
                workspace_id=item.workspace_id,
                recipient_id=item.recipient_id,
                kind=item.kind,
                title=item.title[:250],
                url=item.url,
                actor_id=item.actor_id,
                activity_id=item.activity_id,
                created_at=now,
            )
        )
        emailed.append(channel == Channel.EMAIL and bool(item.recipient_email))
    with unscoped():
        created = Notification.objects.bulk_create(rows)
    by_workspace: dict[int, list[int]] = {}
    for note, email in zip(created, emailed, strict=True):
        if email:
            by_workspace.setdefault(note.workspace_id, []).append(note.pk)
    if by_workspace:
        from rapport.activities.tasks import email_notifications

        for workspace_id, ids in by_workspace.items():
            email_notifications.enqueue(workspace_id=workspace_id, notification_ids=ids)
    return created


def mark_read(workspace_id: int, user_id: int, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(workspace_id=workspace_id, recipient_id=user_id, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
