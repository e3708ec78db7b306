"""Notifications: in-app rows, and an email copy when the recipient's preference says so."""

from __future__ import annotations

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


def mark_read(workspace_id: int, user_id: int, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(workspace_id=workspace_id, recipient_id=user_id, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
