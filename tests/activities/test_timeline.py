"""The shared timeline: logging from a record, several records per activity, company roll-up, filters,
pins, edit and delete with history, system events, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.activities import selectors, services
from rapport.activities.models import Activity, ActivityLink, MeetingAttendee, Notification
from rapport.core.history import history_for
from rapport.core.models import ConflictError
from tests.activities.factories import make_activity
from tests.contacts.factories import make_company, make_contact


@pytest.fixture
def acme(cast):
    return make_company(cast.sales, cast.workspace, name="Acme Engines")


@pytest.fixture
def ada(cast, acme):
    return make_contact(cast.sales, cast.workspace, first_name="Ada", last_name="Lovelace", company=acme)


def page_of(client, record_url) -> str:
    response = client.get(record_url)
    assert response.status_code == 200
    return response.content.decode()


def contact_url(contact):
    return reverse("contacts:contact_detail", args=[contact.pk])


def log(client, record, **data):
    label = record._meta.label_lower
    return client.post(reverse("activities:log"), {"target_type": label, "target_id": record.pk, **data})


def test_a_call_logged_from_a_contact_page_shows_on_the_contact_and_its_company(cast, login, ada, acme):
    client = login(cast.sales)
    response = log(
        client,
        ada,
        kind="call",
        subject="Discovery call",
        call_direction="outbound",
        call_outcome="connected",
        call_minutes="12",
        body="Talked budget",
        next=contact_url(ada),
    )
    assert response.status_code == 302 and response["Location"] == contact_url(ada)
    call = Activity.objects.get(subject="Discovery call")
    assert (call.kind, call.call_direction, call.call_outcome, call.call_duration_seconds) == (
        "call",
        "outbound",
        "connected",
        720,
    )
    assert call.owner == cast.sales
    assert set(call.links.values_list("target_type", "target_id")) == {
        ("contacts.contact", ada.pk),
        ("contacts.company", acme.pk),
    }
    assert "Discovery call" in page_of(client, contact_url(ada))
    company_page = page_of(client, reverse("contacts:company_detail", args=[acme.pk]))
    assert "Discovery call" in company_page and "12 min" in company_page


def test_a_meeting_linked_to_a_contact_and_a_deal_appears_on_each_record(cast, acting, login, ada, acme, deal):
    starts = timezone.now() + timedelta(days=1)
    with acting(cast.sales, cast.workspace) as actor:
        meeting = services.log_activity(
            actor=actor,
            data={
                "kind": "meeting",
                "subject": "Pricing workshop",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
            },
            targets=[("contacts.contact", ada.pk), ("sales.deal", deal.pk)],
        )
    client = login(cast.sales)
    for url in (
        contact_url(ada),
        reverse("contacts:company_detail", args=[acme.pk]),
        reverse("activities:timeline", args=["sales.deal", deal.pk]),
        reverse("sales:deal_detail", args=[deal.pk]),  # the deal's record page carries the timeline panel
    ):
        assert "Pricing workshop" in page_of(client, url), url
    deal_page = page_of(client, reverse("sales:deal_detail", args=[deal.pk]))
    assert 'name="target_type" value="sales.deal"' in deal_page  # quick-add (log a call, note, task) on the deal
    assert meeting.occurred_at == starts  # a meeting sits on the timeline at its start
    detail = page_of(client, reverse("activities:activity_detail", args=[meeting.pk]))
    assert "Ada Lovelace" in detail and "Acme Engines" in detail and "Engines renewal" in detail


def test_the_company_timeline_rolls_up_its_contacts_activities(cast, login, acme):
    grace = make_contact(cast.sales, cast.workspace, first_name="Grace", company=acme)
    make_activity(cast.sales, cast.workspace, kind="note", subject="Only on Grace", target=grace)
    elsewhere = make_contact(cast.sales, cast.workspace, first_name="Alan")
    make_activity(cast.sales, cast.workspace, kind="note", subject="Not at Acme", target=elsewhere)
    with_actor = cast.actor(cast.sales)
    page = selectors.timeline(with_actor, acme)
    assert [a.subject for a in page.entries] == ["Only on Grace"]
    html = page_of(login(cast.sales), reverse("contacts:company_detail", args=[acme.pk]))
    assert "Only on Grace" in html and "Not at Acme" not in html


def test_an_activity_on_the_company_and_on_its_contact_shows_once(cast, acting, ada, acme):
    with acting(cast.sales, cast.workspace) as actor:
        services.log_activity(
            actor=actor,
            data={"kind": "note", "body": "<p>Twice linked</p>"},
            targets=[("contacts.contact", ada.pk), ("contacts.company", acme.pk)],
        )
        entries = selectors.timeline(actor, acme).entries
    assert len(entries) == 1


def test_the_timeline_filters_by_type(cast, login, ada):
    make_activity(cast.sales, cast.workspace, kind="call", subject="A call", target=ada)
    make_activity(cast.sales, cast.workspace, kind="note", subject="A note", target=ada)
    make_activity(cast.sales, cast.workspace, kind="meeting", subject="A meeting", target=ada)
    client = login(cast.sales)
    url = reverse("activities:timeline", args=["contacts.contact", ada.pk])
    only_calls = client.get(url, {"kind": "call"}).content.decode()
    assert "A call" in only_calls and "A note" not in only_calls and "A meeting" not in only_calls
    both = client.get(url, {"kind": ["call", "meeting"]}).content.decode()
    assert "A call" in both and "A meeting" in both and "A note" not in both
    fragment = client.get(url, {"kind": "note"}, headers={"HX-Request": "true"})
    assert "A note" in fragment.content.decode() and "<html" not in fragment.content.decode()


def test_the_timeline_pages_by_date_newest_first(cast, ada):
    now = timezone.now()
    for n in range(55):
        make_activity(
            cast.sales, cast.workspace, kind="note", subject=f"n{n}", target=ada, occurred_at=now - timedelta(hours=n)
        )
    actor = cast.actor(cast.sales)
    first = selectors.timeline(actor, ada)
    assert [a.subject for a in first.entries] == [f"n{n}" for n in range(50)]
    assert first.next_before
    from datetime import datetime

    second = selectors.timeline(actor, ada, before=datetime.fromisoformat(first.next_before))
    assert [a.subject for a in second.entries] == [f"n{n}" for n in range(50, 55)]
    assert second.next_before is None


def test_pinning_puts_a_note_at_the_top_and_unpinning_removes_it(cast, login, ada):
    note = make_activity(
        cast.sales,
        cast.workspace,
        kind="note",
        subject="Key facts",
        target=ada,
        occurred_at=timezone.now() - timedelta(days=90),
    )
    for n in range(3):
        make_activity(cast.sales, cast.workspace, kind="call", subject=f"call {n}", target=ada)
    client = login(cast.sales)
    response = client.post(
        reverse("activities:activity_pin", args=[note.pk]), {"pinned": "1", "next": contact_url(ada)}
    )
    assert response.status_code == 302 and response["Location"] == contact_url(ada)
    note.refresh_from_db()
    assert note.is_pinned
    assert [a.pk for a in selectors.timeline(cast.actor(cast.sales), ada).pinned] == [note.pk]
    html = page_of(client, reverse("activities:timeline", args=["contacts.contact", ada.pk]))
    assert html.index("Pinned") < html.index("Key facts") < html.index("call 0")
    client.post(reverse("activities:activity_pin", args=[note.pk]), {"pinned": "0"})
    assert selectors.timeline(cast.actor(cast.sales), ada).pinned == []


def test_editing_an_activity_keeps_its_history_and_moves_its_date_on_every_timeline(cast, login, ada):
    note = make_activity(cast.sales, cast.workspace, kind="note", subject="Draft", body="<p>First</p>", target=ada)
    when = (timezone.now() - timedelta(days=3)).replace(second=0, microsecond=0)
    response = login(cast.sales).post(
        reverse("activities:activity_edit", args=[note.pk]),
        {
            "kind": "note",
            "subject": "Final",
            "body": "<p>Second</p>",
            "occurred_at": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"),
            "version": note.version,
        },
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.subject, note.body, note.occurred_at) == ("Final", "<p>Second</p>", when)
    assert set(ActivityLink.objects.filter(activity=note).values_list("occurred_at", flat=True)) == {when}
    changes = history_for(note).filter(action="update").first().changes
    assert changes["subject"] == ["Draft", "Final"] and changes["body"] == ["<p>First</p>", "<p>Second</p>"]


def test_a_stale_edit_is_refused_and_writes_nothing(cast, login, ada):
    note = make_activity(cast.sales, cast.workspace, kind="note", subject="Mine", target=ada)
    response = login(cast.sales).post(
        reverse("activities:activity_edit", args=[note.pk]),
        {"kind": "note", "subject": "Late", "body": "<p>x</p>", "version": note.version - 1},
    )
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    note.refresh_from_db()
    assert note.subject == "Mine"
    with pytest.raises(ConflictError):
        services.update_activity(
            actor=cast.actor(cast.sales), activity=note, data={"subject": "x"}, expected_version=99
        )


def test_deleting_an_activity_removes_it_from_the_timeline_and_keeps_it_restorable(cast, login, ada):
    call = make_activity(cast.sales, cast.workspace, kind="call", subject="Misdialled Bob", target=ada)
    client = login(cast.sales)
    response = client.post(reverse("activities:activity_delete", args=[call.pk]), {"next": contact_url(ada)})
    assert response.status_code == 302
    assert "Misdialled Bob" not in page_of(client, contact_url(ada))
    assert client.get(reverse("activities:activity_detail", args=[call.pk])).status_code == 404
    deleted = Activity.all_objects.get(pk=call.pk)
    assert deleted.deleted_at is not None and deleted.deleted_by == cast.sales
    assert history_for(call).filter(action="delete").exists()
    from rapport.core.services import record_restore

    record_restore(actor=cast.actor(cast.owner), record=deleted)
    assert "Misdialled Bob" in page_of(client, contact_url(ada))


def test_deleting_a_task_entry_takes_the_task_off_my_tasks(cast, acting, login, ada):
    with acting(cast.sales, cast.workspace) as actor:
        task = services.create_task(
            actor=actor,
            data={"title": "Chase invoice", "due_at": timezone.now()},
            targets=[("contacts.contact", ada.pk)],
        )
    client = login(cast.sales)
    client.post(reverse("activities:activity_delete", args=[task.activity_id]))
    assert "Chase invoice" not in client.get(reverse("activities:my_tasks")).content.decode()


def test_a_note_with_a_script_is_sanitized_but_stays_readable(cast, login, ada):
    client = login(cast.sales)
    log(
        client,
        ada,
        kind="note",
        body=(
            '<p onclick="steal()">Budget <b>approved</b></p><script>alert("x")</script>'
            '<a href="javascript:evil()">link</a>'
        ),
    )
    note = Activity.objects.get(kind="note")
    assert "script" not in note.body and "onclick" not in note.body and "javascript" not in note.body
    assert "Budget <b>approved</b>" in note.body and ">link</a>" in note.body
    html = page_of(client, contact_url(ada))
    assert "Budget <b>approved</b>" in html and 'alert("x")' not in html


def test_a_meeting_ending_before_it_starts_is_refused_with_a_message(cast, login, ada):
    response = log(
        login(cast.sales),
        ada,
        kind="meeting",
        subject="Backwards",
        starts_at="2030-01-02T10:00",
        ends_at="2030-01-02T09:00",
    )
    assert response.status_code == 400
    assert "The meeting must end after it starts." in response.content.decode()
    assert not Activity.objects.filter(subject="Backwards").exists()


def test_an_unknown_attendee_is_refused_by_name_and_nothing_is_saved(cast, login, ada):
    response = log(
        login(cast.sales),
        ada,
        kind="meeting",
        subject="Who?",
        starts_at="2030-01-02T10:00",
        attendees="peer@acme.test, ghost@nowhere.example",
    )
    assert response.status_code == 400
    assert "Unknown attendee(s): ghost@nowhere.example" in response.content.decode()
    assert not Activity.objects.filter(subject="Who?").exists() and not MeetingAttendee.objects.exists()


def test_a_member_of_another_workspace_is_not_a_known_attendee(cast, acting, ada):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.log_activity(
            actor=actor,
            data={"kind": "meeting", "starts_at": timezone.now()},
            targets=[("contacts.contact", ada.pk)],
            attendees=["outsider@rival.test"],
        )
    assert "outsider@rival.test" in str(error.value.message_dict["attendees"])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "note", "body": "  "}, "body"),
        ({"kind": "task"}, "kind"),
        ({"kind": "call", "call_direction": "sideways"}, "call_direction"),
        ({"kind": "call", "call_duration_seconds": -5}, "call_duration_seconds"),
        ({"kind": "meeting"}, "starts_at"),
    ],
)
def test_bad_activities_are_refused_field_by_field(cast, acting, ada, data, field):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.log_activity(actor=actor, data=data, targets=[("contacts.contact", ada.pk)])
    assert field in error.value.message_dict
    assert not Activity.objects.exists()


def test_an_activity_needs_a_record_the_actor_sees(cast, acting, ada):
    from django.http import Http404

    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError):
        services.log_activity(actor=actor, data={"kind": "note", "body": "x"}, targets=[])
    with acting(cast.sales_west, cast.workspace) as actor, pytest.raises(Http404):
        services.log_activity(actor=actor, data={"kind": "note", "body": "x"}, targets=[("contacts.contact", ada.pk)])


def test_a_reader_sees_the_timeline_but_cannot_log(cast, login, acting, ada):
    with acting(cast.reader, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.log_activity(actor=actor, data={"kind": "note", "body": "x"}, targets=[("contacts.contact", ada.pk)])


def test_winning_a_deal_and_moving_stages_are_system_events_on_the_deal_and_company(cast, acting, login, deal, acme):
    from rapport.sales.models import Deal
    from rapport.sales.services import deals as deal_services

    Deal.all_objects.filter(pk=deal.pk).update(company=acme)
    deal.refresh_from_db()
    stages = list(deal.pipeline.stages.order_by("position"))
    with acting(cast.sales, cast.workspace) as actor:
        deal = deal_services.deal_move_stage(actor=actor, deal=deal, stage=stages[1], expected_version=deal.version)
        deal_services.deal_mark_won(actor=actor, deal=deal, expected_version=deal.version)
    events = Activity.objects.filter(kind="event").order_by("id")
    assert [e.event_type for e in events] == ["stage_changed", "deal_won"]
    assert events[0].subject == "Stage changed: Qualified → Proposal"
    for event in events:
        assert set(event.links.values_list("target_type", "target_id")) == {
            ("sales.deal", deal.pk),
            ("contacts.company", acme.pk),
        }
    html = page_of(login(cast.sales), reverse("contacts:company_detail", args=[acme.pk]))
    assert "Deal won: Engines renewal" in html
    # the owner won it themself: a deal-won notification still reaches the owner
    assert Notification.objects.filter(recipient=cast.sales, kind="deal_won").exists()


def test_a_system_event_cannot_be_edited_and_only_an_admin_deletes_it(cast, acting, ada):
    event = make_activity(cast.sales, cast.workspace, kind="event", subject="Owner changed", target=ada)
    with acting(cast.sales, cast.workspace) as actor:
        with pytest.raises(PermissionDenied):
            services.update_activity(actor=actor, activity=event, data={"subject": "Forged"})
        with pytest.raises(PermissionDenied):
            services.delete_activity(actor=actor, activity=event)
    with acting(cast.admin, cast.workspace) as actor:
        services.delete_activity(actor=actor, activity=event)
    assert not Activity.objects.filter(pk=event.pk).exists()


def test_reassigning_a_contact_is_an_event_and_tells_the_new_owner(cast, acting, ada):
    from rapport.contacts import services as contact_services

    with acting(cast.sales, cast.workspace) as actor:
        contact_services.contact_update(actor=actor, contact=ada, data={"owner": cast.sales_peer.pk})
    event = Activity.objects.get(kind="event", event_type="owner_changed")
    assert ("contacts.contact", ada.pk) in set(event.links.values_list("target_type", "target_id"))
    note = Notification.objects.get(recipient=cast.sales_peer, kind="record_shared")
    assert note.url == f"/contacts/{ada.pk}/"


def test_the_older_activities_link_opens_the_next_page_and_a_bad_marker_is_404(cast, login, ada):
    import html as html_lib
    import re

    now = timezone.now()
    for n in range(52):
        make_activity(
            cast.sales,
            cast.workspace,
            kind="call",
            subject=f"c{n:02d}",
            target=ada,
            occurred_at=now - timedelta(hours=n),
        )
    client = login(cast.sales)
    url = reverse("activities:timeline", args=["contacts.contact", ada.pk])
    first = client.get(url, {"kind": "call"}).content.decode()
    assert "c49" in first and "c50" not in first
    older = html_lib.unescape(re.search(r'href="([^"]*before=[^"]*)"', first).group(1))
    second = client.get(older).content.decode()
    assert "c50" in second and "c51" in second and "c49" not in second
    assert client.get(url, {"before": "yesterday"}).status_code == 404
    naive = client.get(url, {"before": timezone.localtime(now).replace(tzinfo=None).isoformat()})
    assert naive.status_code == 200 and "c01" in naive.content.decode() and "c00" not in naive.content.decode()


def test_a_contact_the_organizer_cannot_see_is_not_a_known_attendee(cast, acting, ada):
    make_contact(cast.sales_west, cast.workspace, first_name="West", emails=["west.contact@example.com"])
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.log_activity(
            actor=actor,
            data={"kind": "meeting", "starts_at": timezone.now()},
            targets=[("contacts.contact", ada.pk)],
            attendees=["west.contact@example.com"],
        )
    assert "west.contact@example.com" in str(error.value.message_dict["attendees"])


def test_emptying_a_field_while_editing_clears_it(cast, login, ada):
    call = make_activity(cast.sales, cast.workspace, kind="call", subject="Old subject", location="", target=ada)
    response = login(cast.sales).post(
        reverse("activities:activity_edit", args=[call.pk]),
        {"kind": "call", "subject": "", "body": "", "call_direction": "inbound", "version": call.version},
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.subject, call.body, call.call_direction) == ("", "", "inbound")


def test_a_company_timeline_pages_correctly_when_activities_repeat_across_its_contacts(cast, acme):
    people = [make_contact(cast.sales, cast.workspace, company=acme) for _ in range(4)]
    now = timezone.now()
    for n in range(30):
        activity = make_activity(
            cast.sales,
            cast.workspace,
            kind="meeting",
            subject=f"m{n:02d}",
            target=acme,
            occurred_at=now - timedelta(hours=n),
        )
        for person in people:
            activity.links.create(
                workspace=cast.workspace,
                target_type="contacts.contact",
                target_id=person.pk,
                occurred_at=activity.occurred_at,
                kind="meeting",
            )
    page = selectors.timeline(cast.actor(cast.sales), acme, limit=10)
    assert [a.subject for a in page.entries] == [f"m{n:02d}" for n in range(10)]
    assert page.next_before is not None  # 5 links per activity: more than one chunk was read
