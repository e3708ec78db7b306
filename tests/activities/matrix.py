"""Permission-matrix rows for rapport.activities (see tests/matrix/__init__.py)."""

from __future__ import annotations

import itertools

from tests.matrix import ADMINS, ALL_ROLES, WRITERS, Row, change_status, roles_status, view_status

_n = itertools.count(1)
_JSON = {"content_type": "application/json", "anonymous": 401}
MANAGERS = ADMINS | {"manager"}


def _pk(record):
    return {"pk": record.pk}


def _contact(cast, owner, workspace):
    from tests.contacts.factories import make_contact

    admin = cast.owner if workspace == cast.workspace else cast.outsider
    return make_contact(owner, workspace, actor_user=admin, emails=[f"act{next(_n)}@example.com"])


def _activity(cast, owner, workspace):
    from tests.activities.factories import make_activity

    return make_activity(owner, workspace, kind="call", target=_contact(cast, owner, workspace))


def _note(cast, owner, workspace):
    from tests.activities.factories import make_activity

    return make_activity(owner, workspace, kind="note", target=_contact(cast, owner, workspace))


def _private_note(cast, owner, workspace):
    from tests.activities.factories import make_activity

    return make_activity(owner, workspace, kind="note", target=_contact(cast, owner, workspace), is_private=True)


def _meeting(cast, owner, workspace):
    from datetime import timedelta

    from django.utils import timezone

    from rapport.activities.models import MeetingAttendee
    from rapport.core.scoping import workspace_scope
    from tests.activities.factories import make_activity

    guest = _contact(cast, owner, workspace)
    starts = timezone.now() + timedelta(days=1)
    meeting = make_activity(owner, workspace, kind="meeting", target=guest, starts_at=starts, occurred_at=starts)
    with workspace_scope(workspace.pk):
        MeetingAttendee.objects.create(workspace=workspace, activity=meeting, contact=guest, email=guest.primary_email)
    return meeting


def _task(cast, owner, workspace):
    from tests.activities.factories import make_task

    return make_task(owner, workspace)


def _email(cast, owner, workspace):
    from tests.activities.factories import make_failed_email

    return make_failed_email(owner, workspace, _contact(cast, owner, workspace))


def _notification(cast, owner, workspace):
    from tests.activities.factories import make_notification

    return make_notification(owner, workspace)


def _target(record):
    return {"target_type": "contacts.contact", "target_id": record.pk}


def _mine(role, relation):
    return 200 if relation == "own" else 404


ROWS = [
    # pages without a record
    Row("activities:my_tasks", roles_status(ALL_ROLES)),
    Row("activities:team_tasks", roles_status(MANAGERS)),
    Row("activities:task_create", roles_status(ALL_ROLES)),
    Row("activities:task_create", roles_status(WRITERS, ok=302), method="POST", data={"title": "From matrix"}),
    Row("activities:notifications", roles_status(ALL_ROLES)),
    Row("activities:bell", roles_status(ALL_ROLES)),
    Row("activities:notifications_read", roles_status(ALL_ROLES, ok=302), method="POST"),
    Row("activities:preferences", roles_status(ALL_ROLES)),
    Row(
        "activities:preferences",
        roles_status(ALL_ROLES, ok=302),
        method="POST",
        data={
            "mentioned": "email",
            "assigned": "in_app",
            "task_due": "in_app",
            "deal_won": "off",
            "record_shared": "in_app",
        },
    ),
    Row("activities:calendar", roles_status(ALL_ROLES)),
    Row("activities:feed_manage", roles_status(ALL_ROLES, ok=302), method="POST", data={"action": "create"}),
    Row(
        "activities:feed",
        roles_status(ALL_ROLES, ok=404, denied=404),
        kwargs=lambda record: {"token": "not-a-real-token"},
        anonymous=404,
        note="the feed is reached by its secret token only; an unknown token is 404 for everyone",
    ),
    # logging on a record: the target's visibility decides
    Row("activities:log", view_status(), make=_contact, kwargs=lambda r: {}, data=_target),
    Row(
        "activities:log",
        change_status(ok=302),
        method="POST",
        make=_contact,
        kwargs=lambda r: {},
        data=lambda r: {**_target(r), "kind": "call", "call_direction": "outbound", "subject": "Matrix call"},
    ),
    Row(
        "activities:task_create",
        change_status(ok=302),
        method="POST",
        make=_contact,
        kwargs=lambda r: {},
        data=lambda r: {**_target(r), "title": "Task on record", "priority": "normal"},
    ),
    Row(
        "activities:timeline",
        view_status(),
        make=_contact,
        kwargs=lambda r: {"target_type": "contacts.contact", "target_id": r.pk},
    ),
    Row("activities:email_compose", view_status(), make=_contact, kwargs=lambda r: {"contact_pk": r.pk}),
    Row(
        "activities:email_compose",
        change_status(ok=302),
        method="POST",
        make=_contact,
        kwargs=lambda r: {"contact_pk": r.pk},
        data={"subject": "Hello {{ contact.first_name }}", "body": "Hi {{ contact.first_name }}"},
    ),
    # activities
    Row("activities:activity_detail", view_status(), make=_activity, kwargs=_pk),
    Row("activities:activity_edit", change_status(ok=200), make=_activity, kwargs=_pk),
    Row(
        "activities:activity_detail",
        _mine,
        make=_private_note,
        kwargs=_pk,
        note="a private note is its author's only, whatever the role",
    ),
    Row("activities:activity_pin", change_status(), method="POST", make=_activity, kwargs=_pk, data={"pinned": "1"}),
    Row("activities:activity_delete", change_status(), method="POST", make=_activity, kwargs=_pk),
    Row("activities:email_retry", change_status(), method="POST", make=_email, kwargs=_pk),
    # tasks
    Row("activities:task_complete", change_status(), method="POST", make=_task, kwargs=_pk),
    Row("activities:task_reopen", change_status(), method="POST", make=_task, kwargs=_pk),
    # API
    Row("activities_api:activity-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "activities_api:activity-list",
        lambda role, relation: 403 if role == "read_only" else (201 if relation == "own" else 404),
        method="POST",
        make=_contact,
        kwargs=lambda r: {},
        data=lambda r: {
            "kind": "note",
            "body": "<p>API note</p>",
            "targets": [{"type": "contacts.contact", "id": r.pk}],
        },
        relations=("own", "foreign"),
        **_JSON,
    ),
    Row("activities_api:activity-detail", view_status(), make=_activity, kwargs=_pk, anonymous=401),
    Row(
        "activities_api:activity-detail",
        change_status(ok=200),
        method="PATCH",
        make=_activity,
        kwargs=_pk,
        data={"subject": "Patched"},
        **_JSON,
    ),
    Row("activities_api:activity-detail", change_status(ok=204), method="DELETE", make=_activity, kwargs=_pk, **_JSON),
    Row(
        "activities_api:activity-send-invitations",
        change_status(ok=200),
        method="POST",
        make=_meeting,
        kwargs=_pk,
        **_JSON,
    ),
    Row("activities_api:note-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "activities_api:note-detail",
        roles_status(ALL_ROLES, ok=404, denied=404),
        make=_activity,
        kwargs=_pk,
        anonymous=401,
        relations=("own",),
        note="a call is not a note",
    ),
    Row("activities_api:note-detail", view_status(), make=_note, kwargs=_pk, anonymous=401),
    Row(
        "activities_api:note-detail",
        _mine,
        make=_private_note,
        kwargs=_pk,
        anonymous=401,
        note="a private note is its author's only, whatever the role",
    ),
    Row("activities_api:task-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "activities_api:task-list",
        roles_status(WRITERS, ok=201),
        method="POST",
        data={"title": "API task", "priority": "high"},
        **_JSON,
    ),
    Row("activities_api:task-detail", view_status(), make=_task, kwargs=_pk, anonymous=401),
    Row("activities_api:task-complete", change_status(ok=200), method="POST", make=_task, kwargs=_pk, **_JSON),
    Row("activities_api:task-detail", change_status(ok=204), method="DELETE", make=_task, kwargs=_pk, **_JSON),
    Row("activities_api:notification-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "activities_api:notification-detail",
        _mine,
        make=_notification,
        kwargs=_pk,
        anonymous=401,
        relations=("own", "team", "foreign"),
    ),
    Row(
        "activities_api:notification-read-all",
        roles_status(ALL_ROLES),
        method="POST",
        **_JSON,
    ),
]
