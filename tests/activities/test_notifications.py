"""Mentions and comments, notifications (bell, page, preferences), the calendar week and the iCalendar feed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from rapport.activities import notify, services
from rapport.activities.models import CalendarFeed, Comment, Notification
from tests.activities.factories import make_activity, make_notification, make_task
from tests.contacts.factories import make_contact


@pytest.fixture
def ada(cast):
    return make_contact(cast.sales, cast.workspace, first_name="Ada", last_name="Lovelace")


def note_on(client, contact, body, **extra):
    return client.post(
        reverse("activities:log"),
        {"target_type": "contacts.contact", "target_id": contact.pk, "kind": "note", "body": body, **extra},
    )


# --- Mentions and comments ----------------------------------------------------------------------


def test_a_mention_in_a_note_notifies_the_member_once(cast, login, ada):
    note_on(login(cast.sales), ada, "<p>@peer and @manager@acme.test please look; @sales is me; @nobody</p>")
    notes = Notification.objects.order_by("recipient_id")
    assert sorted(n.recipient.email for n in notes) == ["manager@acme.test", "peer@acme.test"]
    for note in notes:
        assert note.kind == "mentioned" and note.actor == cast.sales
        assert note.url == f"/activities/{note.activity_id}/"


def test_a_mention_of_someone_in_another_workspace_notifies_nobody(cast, login, ada):
    note_on(login(cast.sales), ada, "<p>@outsider@rival.test @outsider</p>")
    assert not Notification.objects.exists()


def test_a_private_note_mentions_nobody(cast, login, ada):
    note_on(login(cast.sales), ada, "<p>@peer secret</p>", is_private="on")
    assert not Notification.objects.exists()


def test_editing_a_note_notifies_only_newly_mentioned_members(cast, acting, ada):
    with acting(cast.sales, cast.workspace) as actor:
        note = services.log_activity(
            actor=actor, data={"kind": "note", "body": "<p>@peer</p>"}, targets=[("contacts.contact", ada.pk)]
        )
        services.update_activity(actor=actor, activity=note, data={"body": "<p>@peer and @support</p>"})
    assert sorted(Notification.objects.values_list("recipient__email", flat=True)) == [
        "peer@acme.test",
        "support@acme.test",
    ]


def test_a_comment_on_an_activity_is_sanitized_shown_and_mentions_notify(cast, login, ada):
    call = make_activity(cast.sales, cast.workspace, kind="call", subject="Intro call", target=ada)
    client = login(cast.sales)
    response = client.post(
        reverse("activities:activity_detail", args=[call.pk]),
        {"body": "<p>Agreed, @peer <script>alert(1)</script><em>next week</em></p>"},
    )
    assert response.status_code == 302
    comment = Comment.objects.get(activity=call)
    assert "script" not in comment.body and "<em>next week</em>" in comment.body
    assert comment.created_by == cast.sales
    html = client.get(reverse("activities:activity_detail", args=[call.pk])).content.decode()
    assert "<em>next week</em>" in html and "alert(1)" not in html
    note = Notification.objects.get(recipient=cast.sales_peer)
    assert note.kind == "mentioned" and note.activity == call


def test_an_empty_comment_is_refused(cast, login, ada):
    call = make_activity(cast.sales, cast.workspace, kind="call", target=ada)
    response = login(cast.sales).post(
        reverse("activities:activity_detail", args=[call.pk]), {"body": "<script></script>"}
    )
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_a_reader_cannot_comment(cast, login):
    theirs = make_contact(cast.reader, cast.workspace, actor_user=cast.owner)
    call = make_activity(cast.reader, cast.workspace, kind="call", target=theirs)
    response = login(cast.reader).post(reverse("activities:activity_detail", args=[call.pk]), {"body": "hi"})
    assert response.status_code == 403
    assert not Comment.objects.exists()


# --- Preferences, bell, page ---------------------------------------------------------------------


def test_preferences_are_saved_per_kind_and_decide_the_channel(cast, login, ada, smtp, worker):
    client = login(cast.sales_peer)
    page = client.get(reverse("activities:preferences")).content.decode()
    assert "Mentioned" in page and "Deal won" in page
    response = client.post(
        reverse("activities:preferences"),
        {
            "mentioned": "email",
            "assigned": "off",
            "task_due": "in_app",
            "deal_won": "in_app",
            "record_shared": "in_app",
        },
    )
    assert response.status_code == 302
    assert notify.preferences(cast.workspace.pk, cast.sales_peer.pk)["assigned"] == "off"
    author = login(cast.sales)
    note_on(author, ada, "<p>@peer look</p>")
    author.post(reverse("activities:task_create"), {"title": "Yours", "assignee": cast.sales_peer.pk})
    worker()
    assert list(Notification.objects.values_list("kind", flat=True)) == ["mentioned"]  # assigned is off
    [mail] = smtp.to("peer@acme.test")
    assert "mentioned you" in mail.subject


def test_preferences_refuse_an_unknown_channel(cast, login):
    choices = {"mentioned": "pigeon", "assigned": "off", "task_due": "off", "deal_won": "off", "record_shared": "off"}
    response = login(cast.sales).post(reverse("activities:preferences"), choices)
    assert response.status_code == 400
    assert "pigeon is not one of the available choices" in response.content.decode()
    assert notify.preferences(cast.workspace.pk, cast.sales.pk)["assigned"] == "in_app"  # nothing saved
    with pytest.raises(ValidationError):
        notify.set_preferences(cast.workspace.pk, cast.sales.pk, {"mentioned": "pigeon"})
    with pytest.raises(ValidationError):
        notify.set_preferences(cast.workspace.pk, cast.sales.pk, {"gossip": "in_app"})


def test_by_default_reminders_are_emailed_and_everything_else_is_in_app(cast):
    assert notify.preferences(cast.workspace.pk, cast.sales.pk) == {
        "mentioned": "in_app",
        "assigned": "in_app",
        "task_due": "email",
        "deal_won": "in_app",
        "record_shared": "in_app",
    }


def test_the_bell_counts_my_unread_notifications_only(cast, login):
    for _ in range(3):
        make_notification(cast.sales, cast.workspace)
    make_notification(cast.sales, cast.workspace, read_at=timezone.now())
    make_notification(cast.sales_peer, cast.workspace)
    make_notification(cast.outsider, cast.other_workspace)
    client = login(cast.sales)
    bell = client.get(reverse("activities:bell")).content.decode()
    assert 'data-unread="3"' in bell and 'hx-trigger="every 15s"' in bell
    client.post(reverse("activities:notifications_read"))
    assert 'data-unread="0"' in client.get(reverse("activities:bell")).content.decode()
    assert Notification.objects.filter(recipient=cast.sales_peer, read_at__isnull=True).count() == 1


def test_the_notifications_page_lists_mine_and_reading_one_follows_its_link(cast, login):
    mine = make_notification(cast.sales, cast.workspace, title="Ada mentioned you", url="/tasks/")
    other = make_notification(cast.sales, cast.workspace, title="Still unread")
    make_notification(cast.sales_peer, cast.workspace, title="Not yours")
    client = login(cast.sales)
    html = client.get(reverse("activities:notifications")).content.decode()
    assert "Ada mentioned you" in html and "Still unread" in html and "Not yours" not in html
    response = client.post(reverse("activities:notifications_read"), {"id": mine.pk, "go": "/tasks/"})
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None and other.read_at is None


@pytest.mark.parametrize("go", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_reading_a_notification_never_redirects_off_site(cast, login, go):
    make_notification(cast.sales, cast.workspace)
    response = login(cast.sales).post(reverse("activities:notifications_read"), {"go": go})
    assert response["Location"] == reverse("activities:notifications")


def test_nobody_marks_someone_elses_notifications_read(cast, login):
    theirs = make_notification(cast.sales_peer, cast.workspace)
    login(cast.sales).post(reverse("activities:notifications_read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- Calendar ------------------------------------------------------------------------------------


def test_the_week_view_shows_my_meetings_and_due_tasks_on_their_day(cast, acting, login, ada):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday()) + timedelta(days=7)
    wednesday = timezone.make_aware(datetime.combine(monday + timedelta(days=2), datetime.min.time())) + timedelta(
        hours=10
    )
    with acting(cast.sales_peer, cast.workspace) as actor:
        services.log_activity(
            actor=actor,
            data={"kind": "meeting", "subject": "Board review", "starts_at": wednesday},
            targets=[("contacts.contact", ada.pk)],
            attendees=["sales@acme.test"],
        )
        services.log_activity(
            actor=actor,
            data={"kind": "meeting", "subject": "Not invited", "starts_at": wednesday},
            targets=[("contacts.contact", ada.pk)],
        )
    make_task(cast.sales, cast.workspace, title="Prepare numbers", due_in=None, due_at=wednesday + timedelta(hours=2))
    make_task(cast.sales, cast.workspace, title="Next month", due_in=None, due_at=wednesday + timedelta(days=30))
    response = login(cast.sales).get(reverse("activities:calendar"), {"week": (monday + timedelta(days=3)).isoformat()})
    html = response.content.decode()
    assert f"Week of {monday:%Y-%m-%d}" in html
    wednesday_column = html.split(f"{monday + timedelta(days=2):%a %-d %b}")[1].split('<section class="day"')[0]
    assert "10:00 Board review" in wednesday_column and "12:00 Task: Prepare numbers" in wednesday_column
    assert "Not invited" not in html and "Next month" not in html


def test_the_calendar_feed_is_secret_replaceable_and_revocable(cast, acting, login, ada, client):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=3)
    with acting(cast.sales, cast.workspace) as actor:
        services.log_activity(
            actor=actor,
            data={"kind": "meeting", "subject": "Roadmap", "starts_at": starts, "location": "HQ"},
            targets=[("contacts.contact", ada.pk)],
        )
    make_task(cast.sales, cast.workspace, title="Renew insurance", due_in=timedelta(days=4))
    user = login(cast.sales)
    shown = user.post(reverse("activities:feed_manage"), {"action": "create"}, follow=True).content.decode()
    url = re.search(r"http://testserver(/calendar/feed/[^<\s]+\.ics)", shown).group(1)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash__contains=token).exists()  # only its hash is stored
    assert url not in user.get(reverse("activities:calendar")).content.decode()  # shown once
    user.logout()

    response = client.get(url)  # no login: calendar apps cannot log in
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert set(events) == {"Roadmap", "Task: Renew insurance"}
    assert events["Roadmap"].decoded("dtstart") == starts and str(events["Roadmap"]["location"]) == "HQ"

    user = login(cast.sales)
    replaced = user.post(reverse("activities:feed_manage"), {"action": "create"}, follow=True).content.decode()
    new_url = re.search(r"http://testserver(/calendar/feed/[^<\s]+\.ics)", replaced).group(1)
    assert client.get(url).status_code == 404 and client.get(new_url).status_code == 200
    user.post(reverse("activities:feed_manage"), {"action": "revoke"})
    assert client.get(new_url).status_code == 404
    assert client.get("/calendar/feed/guess.ics").status_code == 404


def test_a_feed_shows_only_its_owners_workspace(cast, acting, login, client):
    theirs = make_contact(cast.outsider, cast.other_workspace)
    with acting(cast.outsider, cast.other_workspace) as actor:
        services.log_activity(
            actor=actor,
            data={"kind": "meeting", "subject": "Rival plans", "starts_at": timezone.now() + timedelta(days=1)},
            targets=[("contacts.contact", theirs.pk)],
        )
    shown = login(cast.sales).post(reverse("activities:feed_manage"), {"action": "create"}, follow=True)
    url = re.search(r"http://testserver(/calendar/feed/[^<\s]+\.ics)", shown.content.decode()).group(1)
    assert b"Rival plans" not in client.get(url).content


def test_the_feed_of_a_member_who_left_the_workspace_stops(cast, login, client):
    from rapport.core.models import Membership

    shown = login(cast.sales).post(reverse("activities:feed_manage"), {"action": "create"}, follow=True)
    url = re.search(r"http://testserver(/calendar/feed/[^<\s]+\.ics)", shown.content.decode()).group(1)
    client.logout()
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=cast.sales, workspace=cast.workspace).update(is_active=False)
    assert client.get(url).status_code == 404
