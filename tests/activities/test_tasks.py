"""Tasks: My tasks buckets, the team view, recurrence, reminders delivered by the worker (in-app and email)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.activities import notify, selectors, services
from rapport.activities.models import Notification, Task, TaskStatus
from rapport.activities.tasks import reminder_sweep, sweep_reminders
from tests.activities.factories import make_task
from tests.contacts.factories import make_contact


def new_task(acting, cast, user=None, targets=None, workspace=None, **data):
    with acting(user or cast.sales, workspace or cast.workspace) as actor:
        return services.create_task(actor=actor, data={"title": "Follow up", **data}, targets=targets)


def test_my_tasks_buckets_overdue_today_upcoming_and_done(cast):
    noon = datetime(2030, 6, 12, 12, 0, tzinfo=UTC)
    with timezone.override("UTC"):
        overdue = make_task(cast.sales, cast.workspace, title="Overdue", due_in=None, due_at=noon - timedelta(days=1))
        today = make_task(cast.sales, cast.workspace, title="Today", due_in=None, due_at=noon + timedelta(hours=3))
        upcoming = make_task(cast.sales, cast.workspace, title="Later", due_in=None, due_at=noon + timedelta(days=2))
        undated = make_task(cast.sales, cast.workspace, title="Someday", due_in=None)
        done = make_task(cast.sales, cast.workspace, title="Done", status=TaskStatus.DONE, completed_at=noon)
        make_task(cast.sales_peer, cast.workspace, title="Peer's", due_in=None, due_at=noon)
        buckets = selectors.my_tasks(cast.actor(cast.sales), now=noon)
    shown = {name: [row.id for row in section.rows] for name, section in buckets.items()}
    assert shown == {
        "overdue": [overdue.pk],
        "today": [today.pk],
        "upcoming": [upcoming.pk, undated.pk],
        "done": [done.pk],
    }
    assert not any(section.more for section in buckets.values())


def test_my_tasks_shows_the_first_of_each_section_and_opens_one_in_full(cast, login, monkeypatch):
    monkeypatch.setattr(selectors, "SECTION_LIMIT", 3)
    for i in range(5):
        make_task(
            cast.sales, cast.workspace, title=f"Late {i}", due_in=None, due_at=timezone.now() - timedelta(days=5 - i)
        )
    make_task(
        cast.sales,
        cast.workspace,
        title="Next week",
        due_in=timedelta(days=7),
        recurrence_unit="weeks",
        recurrence_interval=2,
        priority="high",
    )
    buckets = selectors.my_tasks(cast.actor(cast.sales))
    assert [row.title for row in buckets["overdue"].rows] == ["Late 0", "Late 1", "Late 2"]
    assert buckets["overdue"].more and not buckets["upcoming"].more
    client = login(cast.sales)
    html = client.get(reverse("activities:my_tasks")).content.decode()
    assert "Late 2" in html and "Late 3" not in html
    assert 'href="?show=overdue#tasks-overdue"' in html
    assert "every 2 weeks" in html and "High" in html
    task = Task.objects.get(title="Late 0")
    assert f'href="/activities/{task.activity_id}/"' in html and f"/tasks/{task.pk}/complete/" in html
    html = client.get(reverse("activities:my_tasks") + "?show=overdue").content.decode()
    assert "Late 4" in html
    assert client.get(reverse("activities:my_tasks") + "?show=bogus").status_code == 200


def test_the_my_tasks_page_lists_my_open_tasks_and_not_others(cast, login):
    make_task(cast.sales, cast.workspace, title="Send the contract", due_in=timedelta(days=-2))
    make_task(cast.sales, cast.workspace, title="Plan the demo", due_in=timedelta(days=5))
    make_task(cast.sales_peer, cast.workspace, title="Peer task")
    html = login(cast.sales).get(reverse("activities:my_tasks")).content.decode()
    assert "Send the contract" in html and "Plan the demo" in html and "Peer task" not in html
    assert html.index("Send the contract") < html.index("Plan the demo")  # overdue comes first


def test_a_manager_reviews_the_team_tasks_and_a_rep_may_not(cast, login):
    make_task(cast.sales, cast.workspace, title="East rep task")
    make_task(cast.sales_peer, cast.workspace, title="East peer task")
    make_task(cast.sales_west, cast.workspace, title="West task")
    html = login(cast.manager).get(reverse("activities:team_tasks")).content.decode()
    assert "East rep task" in html and "East peer task" in html and "West task" not in html
    assert login(cast.sales).get(reverse("activities:team_tasks")).status_code == 403
    admin_view = login(cast.admin).get(reverse("activities:team_tasks")).content.decode()
    assert "West task" in admin_view


def test_a_task_added_from_a_record_shows_on_its_timeline(cast, login):
    ada = make_contact(cast.sales, cast.workspace, first_name="Ada")
    client = login(cast.sales)
    response = client.post(
        reverse("activities:task_create"),
        {"target_type": "contacts.contact", "target_id": ada.pk, "title": "Send brochure", "priority": "high"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("contacts:contact_detail", args=[ada.pk])
    task = Task.objects.get(title="Send brochure")
    assert (task.assignee, task.priority, task.status) == (cast.sales, "high", "open")
    assert ("contacts.contact", ada.pk) in set(task.activity.links.values_list("target_type", "target_id"))
    assert "Send brochure" in client.get(reverse("contacts:contact_detail", args=[ada.pk])).content.decode()


def test_a_reminder_in_the_past_is_refused_with_a_clear_message(cast, login):
    past = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = login(cast.sales).post(reverse("activities:task_create"), {"title": "Too late", "remind_at": past})
    assert response.status_code == 400
    assert "The reminder time is in the past; choose a time from now on." in response.content.decode()
    assert not Task.objects.exists()


def test_assigning_a_task_to_someone_else_notifies_them(cast, acting):
    task = new_task(acting, cast, assignee=cast.sales_peer.pk)
    note = Notification.objects.get(recipient=cast.sales_peer)
    assert note.kind == "assigned" and task.title in note.title
    assert not Notification.objects.filter(recipient=cast.sales).exists()


def test_a_task_cannot_be_assigned_outside_the_workspace(cast, acting):
    with pytest.raises(ValidationError) as error:
        new_task(acting, cast, assignee=cast.outsider.pk)
    assert "assignee" in error.value.message_dict


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": " "}, "title"),
        ({"priority": "asap"}, "priority"),
        ({"recurrence_unit": "weeks", "recurrence_interval": 0, "due_at": timezone.now()}, "recurrence_interval"),
        ({"recurrence_unit": "days", "recurrence_interval": 3}, "due_at"),
        ({"recurrence_unit": "years", "recurrence_interval": 1, "due_at": timezone.now()}, "recurrence_unit"),
    ],
)
def test_bad_tasks_are_refused_field_by_field(cast, acting, data, field):
    with pytest.raises(ValidationError) as error:
        new_task(acting, cast, **data)
    assert field in error.value.message_dict
    assert not Task.objects.exists()


def test_completing_a_repeating_task_schedules_the_next_one(cast, acting, login):
    ada = make_contact(cast.sales, cast.workspace, first_name="Ada")
    due = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    task = new_task(
        acting,
        cast,
        title="Service check",
        due_at=due,
        remind_at=due - timedelta(minutes=30),
        recurrence_unit="weeks",
        recurrence_interval=2,
        priority="high",
        targets=[("contacts.contact", ada.pk)],
    )
    response = login(cast.sales).post(reverse("activities:task_complete", args=[task.pk]), follow=True)
    nxt = Task.objects.exclude(pk=task.pk).get()
    assert f"Next one due {nxt.due_at:%Y-%m-%d}" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_at is not None
    assert nxt.due_at == due + timedelta(weeks=2)
    assert nxt.remind_at == nxt.due_at - timedelta(minutes=30)
    assert (nxt.title, nxt.priority, nxt.assignee, nxt.status) == ("Service check", "high", cast.sales, "open")
    assert (nxt.recurrence_unit, nxt.recurrence_interval, nxt.previous) == ("weeks", 2, task)
    assert ("contacts.contact", ada.pk) in set(nxt.activity.links.values_list("target_type", "target_id"))
    with acting(cast.sales, cast.workspace) as actor:
        assert services.complete_task(actor=actor, task=task) is None  # done twice: no second follow-up
    assert Task.objects.count() == 2


def test_a_monthly_task_keeps_its_day_or_takes_the_last_day_of_a_short_month():
    jan31 = datetime(2031, 1, 31, 9, 0, tzinfo=UTC)
    assert services.add_interval(jan31, "months", 1) == datetime(2031, 2, 28, 9, 0, tzinfo=UTC)
    assert services.add_interval(jan31, "months", 6) == datetime(2031, 7, 31, 9, 0, tzinfo=UTC)
    assert services.add_interval(jan31, "months", 12) == datetime(2032, 1, 31, 9, 0, tzinfo=UTC)
    assert services.add_interval(jan31, "days", 3) == datetime(2031, 2, 3, 9, 0, tzinfo=UTC)


def test_a_done_task_can_be_reopened(cast, acting, login):
    task = new_task(acting, cast)
    client = login(cast.sales)
    client.post(reverse("activities:task_complete", args=[task.pk]))
    client.post(reverse("activities:task_reopen", args=[task.pk]))
    task.refresh_from_db()
    assert (task.status, task.completed_at) == (TaskStatus.OPEN, None)


def test_someone_outside_the_task_cannot_complete_it(cast, acting, login):
    task = new_task(acting, cast)
    assert login(cast.sales_west).post(reverse("activities:task_complete", args=[task.pk])).status_code == 404
    with acting(cast.reader, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.complete_task(actor=actor, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


# --- Reminders ----------------------------------------------------------------------------------


def make_due(task) -> None:
    """Let the reminder time pass."""
    Task.objects.filter(pk=task.pk).update(remind_at=timezone.now() - timedelta(seconds=5))


def test_the_reminder_sweep_delivers_in_app_and_by_email_through_the_worker(cast, acting, smtp, worker):
    task = new_task(acting, cast, title="Call Ada back", remind_at=timezone.now() + timedelta(minutes=5))
    reminder_sweep.enqueue()
    worker()
    assert not Notification.objects.exists()  # not due yet

    make_due(task)
    reminder_sweep.enqueue()
    worker()
    note = Notification.objects.get(recipient=cast.sales, kind="task_due")
    assert note.title.startswith("Reminder: Call Ada back")
    assert note.emailed_at is not None
    [mail] = smtp.to("sales@acme.test")
    assert mail.subject == "[Rapport] " + note.title
    assert "/tasks/" in mail.text()
    task.refresh_from_db()
    assert task.reminder_sent_at is not None

    reminder_sweep.enqueue()
    worker()
    assert Notification.objects.count() == 1 and len(smtp.messages) == 1  # never twice


def test_a_reminder_follows_the_members_preference(cast, acting, smtp, worker):
    notify.set_preferences(cast.workspace.pk, cast.sales.pk, {"task_due": "in_app"})
    notify.set_preferences(cast.workspace.pk, cast.sales_peer.pk, {"task_due": "off"})
    mine = new_task(acting, cast, title="Mine", remind_at=timezone.now() + timedelta(minutes=1))
    peers = new_task(acting, cast, user=cast.sales_peer, title="Peer", remind_at=timezone.now() + timedelta(minutes=1))
    make_due(mine)
    make_due(peers)
    assert sweep_reminders() == 1
    worker()
    assert list(Notification.objects.values_list("recipient", "kind")) == [(cast.sales.pk, "task_due")]
    assert not smtp.messages


def test_no_reminder_for_a_task_already_done(cast, acting):
    task = new_task(acting, cast, remind_at=timezone.now() + timedelta(minutes=1))
    with acting(cast.sales, cast.workspace) as actor:
        services.complete_task(actor=actor, task=task)
    make_due(task)
    assert sweep_reminders() == 0
    assert not Notification.objects.exists()
    task.refresh_from_db()
    assert task.reminder_sent_at is not None  # swept once, not looked at again


def test_moving_the_reminder_later_sends_it_again(cast, acting):
    task = new_task(acting, cast, remind_at=timezone.now() + timedelta(minutes=1))
    make_due(task)
    sweep_reminders()
    task.refresh_from_db()
    with acting(cast.sales, cast.workspace) as actor:
        services.update_task(actor=actor, task=task, data={"remind_at": timezone.now() + timedelta(minutes=2)})
    task.refresh_from_db()
    assert task.reminder_sent_at is None
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.update_task(actor=actor, task=task, data={"remind_at": timezone.now() - timedelta(days=1)})
    assert "in the past" in str(error.value.message_dict["remind_at"])


def test_the_sweep_covers_every_workspace(cast, acting):
    here = new_task(acting, cast, remind_at=timezone.now() + timedelta(minutes=1))
    there = new_task(
        acting,
        cast,
        user=cast.outsider,
        workspace=cast.other_workspace,
        remind_at=timezone.now() + timedelta(minutes=1),
    )
    make_due(here)
    make_due(there)
    assert sweep_reminders() == 2
    assert set(Notification.objects.values_list("workspace", "recipient")) == {
        (cast.workspace.pk, cast.sales.pk),
        (cast.other_workspace.pk, cast.outsider.pk),
    }


def test_upcoming_lists_dated_tasks_soonest_first_then_undated_ones(cast, monkeypatch):
    monkeypatch.setattr(selectors, "SECTION_LIMIT", 3)
    undated = make_task(cast.sales, cast.workspace, title="Someday", due_in=None)
    later = [make_task(cast.sales, cast.workspace, title=f"In {n} days", due_in=timedelta(days=n)) for n in (3, 2)]
    section = selectors.my_tasks(cast.actor(cast.sales))["upcoming"]
    assert [row.id for row in section.rows] == [later[1].pk, later[0].pk, undated.pk] and not section.more
    make_task(cast.sales, cast.workspace, title="In 4 days", due_in=timedelta(days=4))
    section = selectors.my_tasks(cast.actor(cast.sales))["upcoming"]
    assert [row.title for row in section.rows] == ["In 2 days", "In 3 days", "In 4 days"] and section.more
