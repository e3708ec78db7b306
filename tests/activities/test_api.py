"""/api/v1/activities/, /tasks/, /notes/, /notifications/: CRUD, filters, cursor pages, problem+json errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.activities.models import Activity, Notification, Task
from rapport.core.history import history_for
from tests.activities.factories import make_activity, make_notification, make_task
from tests.api.helpers import assert_problem
from tests.contacts.factories import make_company, make_contact


@pytest.fixture
def ada(cast):
    company = make_company(cast.sales, cast.workspace, name="Engines Ltd")
    return make_contact(cast.sales, cast.workspace, first_name="Ada", company=company, emails=["ada@x.example"])


def target(record):
    return [{"type": record._meta.label_lower, "id": record.pk}]


def test_create_read_update_delete_an_activity(cast, as_token, ada):
    client = as_token(cast.sales)
    created = client.post(
        "/api/v1/activities/",
        {
            "kind": "call",
            "subject": "Intro",
            "call_direction": "inbound",
            "call_outcome": "connected",
            "call_duration_seconds": 300,
            "targets": target(ada),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created["ETag"] == '"1"' and created["Location"].endswith(f"/api/v1/activities/{body['id']}/")
    assert body["owner"] == cast.sales.pk and body["call_duration_seconds"] == 300
    assert {"type": "contacts.contact", "id": ada.pk} in body["links"]
    assert {"type": "contacts.company", "id": ada.company_id} in body["links"]
    url = f"/api/v1/activities/{body['id']}/"
    patched = client.patch(url, {"subject": "Intro call"}, format="json", headers={"If-Match": '"1"'})
    assert patched.status_code == 200 and patched.json()["subject"] == "Intro call" and patched["ETag"] == '"2"'
    stale = client.patch(url, {"subject": "Late"}, format="json", headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404, "not-found")
    activity = Activity.all_objects.get(pk=body["id"])
    assert activity.deleted_at is not None
    assert history_for(activity).get(action="update").source == "api"


def test_bad_activities_are_problems_naming_each_field(cast, as_token, ada):
    client = as_token(cast.sales)
    response = client.post(
        "/api/v1/activities/",
        {
            "kind": "meeting",
            "starts_at": "2030-01-01T10:00:00Z",
            "ends_at": "2030-01-01T09:00:00Z",
            "targets": target(ada),
        },
        format="json",
    )
    body = assert_problem(response, 400, "validation-error")
    assert {e["field"] for e in body["errors"]} == {"ends_at"}
    response = client.post(
        "/api/v1/activities/",
        {
            "kind": "meeting",
            "starts_at": "2030-01-01T10:00:00Z",
            "attendees": ["ghost@x.example"],
            "targets": target(ada),
        },
        format="json",
    )
    body = assert_problem(response, 400, "validation-error")
    assert "ghost@x.example" in body["errors"][0]["detail"]
    response = client.post("/api/v1/activities/", {"kind": "task", "targets": target(ada)}, format="json")
    assert {e["field"] for e in assert_problem(response, 400, "validation-error")["errors"]} == {"kind"}
    response = client.post("/api/v1/activities/", {"kind": "note", "colour": "red"}, format="json")
    assert {e["field"] for e in assert_problem(response, 400, "validation-error")["errors"]} == {"colour"}
    assert not Activity.objects.exists()


def test_an_activity_on_a_record_the_actor_cannot_see_is_404(cast, as_token, ada):
    response = as_token(cast.sales_west).post(
        "/api/v1/activities/", {"kind": "note", "body": "x", "targets": target(ada)}, format="json"
    )
    assert_problem(response, 404)
    assert not Activity.objects.exists()


def test_activities_filter_by_kind_and_record_and_page_by_cursor(cast, as_token, ada):
    other = make_contact(cast.sales, cast.workspace)
    now = timezone.now()
    for n in range(5):
        make_activity(
            cast.sales,
            cast.workspace,
            kind="call",
            subject=f"call {n}",
            target=ada,
            occurred_at=now - timedelta(minutes=n),
        )
    make_activity(cast.sales, cast.workspace, kind="note", subject="note on ada", target=ada)
    make_activity(cast.sales, cast.workspace, kind="call", subject="call elsewhere", target=other)
    client = as_token(cast.sales)
    url, seen = f"/api/v1/activities/?kind=call&target_type=contacts.contact&target_id={ada.pk}&page_size=2", []
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen.extend(a["subject"] for a in page["results"])
        url = page["next"]
    assert seen == [f"call {n}" for n in range(5)]
    assert_problem(client.get("/api/v1/activities/?kind=gossip"), 400, "validation-error")
    assert_problem(client.get("/api/v1/activities/?target_type=auth.user&target_id=1"), 404)
    assert_problem(client.get("/api/v1/activities/?ordering=body"), 400, "validation-error")
    sparse = client.get("/api/v1/activities/?fields=id,subject").json()["results"][0]
    assert set(sparse) == {"id", "subject"}


def test_notes_endpoint_creates_sanitized_notes_and_lists_only_notes(cast, as_token, ada):
    make_activity(cast.sales, cast.workspace, kind="call", subject="A call", target=ada)
    client = as_token(cast.sales)
    created = client.post(
        "/api/v1/notes/", {"body": "<p>Hi @peer</p><script>x()</script>", "targets": target(ada)}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["body"] == "<p>Hi @peer</p>"
    assert Activity.objects.get(pk=created.json()["id"]).kind == "note"
    assert Notification.objects.get().recipient == cast.sales_peer
    listed = client.get("/api/v1/notes/").json()["results"]
    assert [n["id"] for n in listed] == [created.json()["id"]]
    call = Activity.objects.get(kind="call")
    assert_problem(client.get(f"/api/v1/notes/{call.pk}/"), 404)
    empty = client.post("/api/v1/notes/", {"body": " ", "targets": target(ada)}, format="json")
    assert {e["field"] for e in assert_problem(empty, 400)["errors"]} == {"body"}


def test_tasks_crud_filters_and_complete_a_repeating_one(cast, as_token, ada):
    client = as_token(cast.sales)
    due = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    created = client.post(
        "/api/v1/tasks/",
        {
            "title": "Renewal call",
            "due_at": due.isoformat(),
            "priority": "high",
            "recurrence_unit": "months",
            "recurrence_interval": 6,
            "targets": target(ada),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["assignee"], body["status"], body["priority"]) == (cast.sales.pk, "open", "high")
    url = f"/api/v1/tasks/{body['id']}/"
    assert client.patch(url, {"title": "Late"}, format="json", headers={"If-Match": '"9"'}).status_code == 412
    moved = client.patch(url, {"assignee": cast.sales_peer.pk}, format="json")
    assert moved.status_code == 200 and moved.json()["assignee"] == cast.sales_peer.pk
    assert Notification.objects.get().recipient == cast.sales_peer
    done = client.post(f"{url}complete/")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "done" and done.json()["completed_at"]
    nxt = done.json()["next"]
    assert nxt["due_at"].startswith(f"{(due.month + 5) % 12 + 1:02d}", 5) and nxt["status"] == "open"
    assert [t["id"] for t in client.get("/api/v1/tasks/?status=done").json()["results"]] == [body["id"]]
    assert [t["id"] for t in client.get("/api/v1/tasks/?status=open").json()["results"]] == [nxt["id"]]
    assert_problem(client.get("/api/v1/tasks/?status=someday"), 400)


def test_a_task_reminder_in_the_past_is_a_field_problem(cast, as_token):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = as_token(cast.sales).post("/api/v1/tasks/", {"title": "Too late", "remind_at": past}, format="json")
    body = assert_problem(response, 400, "validation-error")
    assert body["errors"][0]["field"] == "remind_at" and "in the past" in body["errors"][0]["detail"]
    assert not Task.objects.exists()


def test_a_task_for_a_stranger_is_refused(cast, as_token):
    response = as_token(cast.sales).post("/api/v1/tasks/", {"title": "x", "assignee": cast.outsider.pk}, format="json")
    assert {e["field"] for e in assert_problem(response, 400)["errors"]} == {"assignee"}


def test_deleting_a_task_takes_its_timeline_entry_along(cast, as_token, ada):
    client = as_token(cast.sales)
    body = client.post("/api/v1/tasks/", {"title": "Gone soon", "targets": target(ada)}, format="json").json()
    assert client.delete(f"/api/v1/tasks/{body['id']}/").status_code == 204
    assert not Task.objects.filter(pk=body["id"]).exists()
    assert not Activity.objects.filter(pk=body["activity"]).exists()
    assert client.get(f"/api/v1/activities/?target_type=contacts.contact&target_id={ada.pk}").json()["results"] == []


def test_mine_lists_only_tasks_assigned_to_me(cast, as_token):
    make_task(cast.sales, cast.workspace, title="Mine")
    make_task(cast.sales, cast.workspace, title="For peer", assignee=cast.sales_peer)
    titles = {t["title"] for t in as_token(cast.sales).get("/api/v1/tasks/?mine=true").json()["results"]}
    assert titles == {"Mine"}


def test_notifications_are_mine_and_can_be_marked_read(cast, as_token):
    mine = make_notification(cast.sales, cast.workspace, title="For me")
    make_notification(cast.sales, cast.workspace, title="Also me")
    theirs = make_notification(cast.sales_peer, cast.workspace, title="Not mine")
    client = as_token(cast.sales)
    listed = client.get("/api/v1/notifications/").json()["results"]
    assert {n["title"] for n in listed} == {"For me", "Also me"}
    assert_problem(client.get(f"/api/v1/notifications/{theirs.pk}/"), 404)
    read = client.patch(f"/api/v1/notifications/{mine.pk}/", {"read": True}, format="json")
    assert read.status_code == 200 and read.json()["read_at"]
    assert [n["title"] for n in client.get("/api/v1/notifications/?unread=true").json()["results"]] == ["Also me"]
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    unread = client.patch(f"/api/v1/notifications/{mine.pk}/", {"read": False}, format="json")
    assert unread.json()["read_at"] is None
    client.patch(f"/api/v1/notifications/{mine.pk}/", {"title": "Forged"}, format="json")
    mine.refresh_from_db()
    assert mine.title == "For me"  # read-only fields are never written
    assert_problem(client.delete(f"/api/v1/notifications/{mine.pk}/"), 405)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_read_only_token_cannot_write(cast, as_token, ada):
    client = as_token(cast.sales, scopes=["read"])
    response = client.post("/api/v1/notes/", {"body": "x", "targets": target(ada)}, format="json")
    assert_problem(response, 403)
    assert client.get("/api/v1/activities/").status_code == 200
