"""The calendar week (one query, any number of meetings), a record's activities through the API (index
order, cursor pages, no duplicates), hand-logged emails, /notes/ kind, invitations through the API,
and a meeting's place on the timeline following its start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.activities import selectors, services
from rapport.activities.models import ActivityLink, EmailMessage, EmailStatus, MeetingAttendee
from rapport.core.scoping import workspace_scope
from tests.activities.factories import make_activity, make_task
from tests.api.helpers import assert_problem
from tests.contacts.factories import make_company, make_contact

MONDAY = datetime(2031, 3, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def ada(cast):
    company = make_company(cast.sales, cast.workspace, name="Engines Ltd")
    return make_contact(cast.sales, cast.workspace, first_name="Ada", company=company, emails=["ada@x.example"])


def meeting(cast, owner, at, subject, attendee=None):
    activity = make_activity(owner, cast.workspace, kind="meeting", subject=subject, starts_at=at, occurred_at=at)
    if attendee is not None:
        with workspace_scope(cast.workspace.pk):
            MeetingAttendee.objects.create(
                workspace=cast.workspace, activity=activity, user=attendee, email=attendee.email
            )
    return activity


# --- calendar ------------------------------------------------------------------------------------


def test_the_week_lists_my_meetings_and_those_i_attend_and_my_open_tasks_due_that_week(cast):
    mine = meeting(cast, cast.sales, MONDAY + timedelta(days=1, hours=9), "Mine")
    attended = meeting(cast, cast.sales_peer, MONDAY + timedelta(hours=14), "Invited", attendee=cast.sales)
    meeting(cast, cast.sales_peer, MONDAY + timedelta(hours=10), "Not mine")
    meeting(cast, cast.sales, MONDAY + timedelta(days=7, hours=1), "Next week")
    due = make_task(cast.sales, cast.workspace, title="Send deck", due_in=None, due_at=MONDAY + timedelta(hours=11))
    make_task(cast.sales, cast.workspace, title="Done one", due_in=None, due_at=MONDAY, status="done")
    with workspace_scope(cast.workspace.pk):
        week = selectors.calendar_week(cast.actor(cast.sales), MONDAY)
    assert [(m.title, m.activity_id) for m in week["meetings"]] == [
        ("Invited", attended.pk),
        ("Mine", mine.pk),
    ]
    assert [(t.title, t.activity_id, t.at) for t in week["tasks"]] == [("Send deck", due.activity_id, due.due_at)]


def test_the_week_page_puts_each_item_on_its_local_day_in_a_fixed_number_of_queries(cast, login):
    client = login(cast.sales)
    url = reverse("activities:calendar") + "?week=2031-03-03"

    def queries() -> tuple[int, str]:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        return len(captured), response.content.decode()

    meeting(cast, cast.sales, MONDAY + timedelta(hours=9), "Standup 0")
    few, _ = queries()
    for n in range(1, 12):
        meeting(cast, cast.sales, MONDAY + timedelta(days=n % 7, hours=9), f"Standup {n}", attendee=cast.sales_peer)
    many, html = queries()
    assert many == few
    tuesday = html.split('id="day-2"')[1].split('id="day-3"')[0]
    assert "Standup 1" in tuesday and "Standup 8" in tuesday and "Standup 2" not in tuesday


# --- the API list of a record's activities -------------------------------------------------------


def test_a_records_activities_page_newest_first_without_duplicates_even_on_equal_times(cast, as_token, ada):
    at = timezone.now().replace(microsecond=0)
    made = [
        make_activity(cast.sales, cast.workspace, kind="call", subject=f"c{n}", target=ada, occurred_at=at)
        for n in range(4)
    ]
    older = make_activity(cast.sales, cast.workspace, kind="note", target=ada, occurred_at=at - timedelta(days=1))
    with workspace_scope(cast.workspace.pk):  # also on the company: still once on the contact's list
        ActivityLink.objects.create(
            workspace=cast.workspace,
            activity=older,
            target_type="contacts.company",
            target_id=ada.company_id,
            occurred_at=older.occurred_at,
            kind="note",
        )
    client = as_token(cast.sales)
    url, seen = f"/api/v1/activities/?target_type=contacts.contact&target_id={ada.pk}&page_size=2", []
    while url:
        page = client.get(url).json()
        seen.extend(a["id"] for a in page["results"])
        url = page["next"]
    assert seen == [a.pk for a in reversed(made)] + [older.pk]
    oldest_first = client.get(
        f"/api/v1/activities/?target_type=contacts.contact&target_id={ada.pk}&ordering=occurred_at"
    ).json()
    assert oldest_first["results"][0]["id"] == older.pk


def test_a_records_activity_list_runs_a_fixed_number_of_queries(cast, as_token, ada):
    client = as_token(cast.sales)
    url = f"/api/v1/activities/?target_type=contacts.contact&target_id={ada.pk}"
    make_activity(cast.sales, cast.workspace, kind="call", target=ada)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(8):
        make_activity(cast.sales, cast.workspace, kind="call", target=ada)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["results"]) == 9
    assert len(many) == len(few)


# --- small gaps -----------------------------------------------------------------------------------


def test_an_email_logged_by_hand_shows_logged_on_the_timeline_and_is_never_sent(cast, acting, login, ada):
    with acting(cast.sales, cast.workspace) as actor:
        email = services.log_activity(
            actor=actor,
            data={"kind": "email", "subject": "Sent from my phone", "body": "<p>See attached</p>"},
            targets=[("contacts.contact", ada.pk)],
        )
        message = EmailMessage.objects.get(activity=email)
    assert (message.status, message.to_address, message.text_body) == (
        EmailStatus.LOGGED,
        "ada@x.example",
        "See attached",
    )
    html = login(cast.sales).get(reverse("contacts:contact_detail", args=[ada.pk])).content.decode()
    assert 'class="badge email-logged">Logged by hand<' in html
    from rapport.activities import mail

    with workspace_scope(cast.workspace.pk):
        assert mail.deliver(message.pk) == "skipped"
    # an email activity from before the outbox row existed still says it was logged
    bare = make_activity(cast.sales, cast.workspace, kind="email", subject="Old import", target=ada)
    html = login(cast.sales).get(reverse("activities:activity_detail", args=[bare.pk])).content.decode()
    assert "Logged by hand" in html


def test_the_notes_api_shows_the_kind_and_ignores_a_kind_sent_back(cast, as_token, ada):
    client = as_token(cast.sales)
    created = client.post(
        "/api/v1/notes/",
        {"body": "<p>Hi</p>", "kind": "call", "targets": [{"type": "contacts.contact", "id": ada.pk}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["kind"] == "note"
    listed = client.get("/api/v1/notes/").json()["results"]
    assert [n["kind"] for n in listed] == ["note"]


def test_invitations_are_sent_through_the_api_once_per_attendee(cast, acting, as_token, ada, smtp, worker):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=1)
    with acting(cast.sales, cast.workspace) as actor:
        kick_off = services.log_activity(
            actor=actor,
            data={"kind": "meeting", "subject": "Kick-off", "starts_at": starts},
            targets=[("contacts.contact", ada.pk)],
            attendees=["ada@x.example", cast.sales_peer.email, cast.sales.email],
        )
    url = f"/api/v1/activities/{kick_off.pk}/send-invitations/"
    response = as_token(cast.sales).post(url)
    assert response.status_code == 200 and response.json() == {"queued": 2}  # not the organizer
    worker()
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(["ada@x.example", cast.sales_peer.email])
    assert as_token(cast.sales).post(url).json() == {"queued": 0}  # everyone invited already
    worker()
    assert len(smtp.messages) == 2
    assert_problem(as_token(cast.reader).post(url), 403)
    assert_problem(as_token(cast.sales_west).post(url), 404)
    call = make_activity(cast.sales, cast.workspace, kind="call", target=ada)
    body = assert_problem(as_token(cast.sales).post(f"/api/v1/activities/{call.pk}/send-invitations/"), 400)
    assert body["errors"][0]["field"] == "kind"
    lonely = meeting(cast, cast.sales, starts, "Alone")
    body = assert_problem(as_token(cast.sales).post(f"/api/v1/activities/{lonely.pk}/send-invitations/"), 400)
    assert body["errors"][0]["field"] == "attendees"


def test_the_schema_documents_the_invitation_action_and_the_notes_kind(client, db):
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    action = schema["paths"]["/api/v1/activities/{id}/send-invitations/"]["post"]
    assert "200" in action["responses"] and "invitation" in action["description"]
    note = schema["components"]["schemas"]["Note"]
    assert note["properties"]["kind"]["readOnly"] is True


def test_moving_a_meetings_start_moves_it_on_every_timeline(cast, acting, login, ada):
    starts = timezone.now().replace(second=0, microsecond=0) + timedelta(days=2)
    with acting(cast.sales, cast.workspace) as actor:
        review = services.log_activity(
            actor=actor,
            data={
                "kind": "meeting",
                "subject": "Review",
                "starts_at": starts,
                "occurred_at": starts - timedelta(days=9),
            },
            targets=[("contacts.contact", ada.pk)],
        )
    assert review.occurred_at == starts
    later = starts + timedelta(days=5)
    with acting(cast.sales, cast.workspace) as actor:
        services.update_activity(actor=actor, activity=review, data={"starts_at": later})
    review.refresh_from_db()
    assert review.occurred_at == later
    with workspace_scope(cast.workspace.pk):
        assert set(ActivityLink.objects.filter(activity=review).values_list("occurred_at", flat=True)) == {later}
    # through the edit form, which posts the old "When" back unchanged
    again = later + timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M"
    response = login(cast.sales).post(
        reverse("activities:activity_edit", args=[review.pk]),
        {
            "kind": "meeting",
            "subject": "Review",
            "occurred_at": timezone.localtime(later).strftime(fmt),
            "starts_at": timezone.localtime(again).strftime(fmt),
            "version": review.version,
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.occurred_at == again
