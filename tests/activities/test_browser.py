"""Activities in a real browser (issue #5, item 8): log a call from a contact page, create a task
with a reminder from a record page and see the reminder arrive in the bell, mention a colleague in
a note, and check My tasks and the calendar at desktop and phone widths.

Uses the browser fixtures of tests/browser (Debian's Chromium through Playwright). Background work
(the reminder sweep) runs in-process here, as the worker would run it when the reminder falls due.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

import tests.browser.conftest as browser_fixtures
from rapport.activities import services
from rapport.activities.models import Activity, ActivityLink, CalendarFeed, Notification, Task, TaskStatus
from rapport.activities.tasks import sweep_reminders
from tests.activities.factories import make_activity
from tests.browser.quality import DESKTOP, PHONE, check_page_quality, login
from tests.contacts.factories import make_company, make_contact

browser = browser_fixtures.browser
page = browser_fixtures.page

pytestmark = pytest.mark.browser


def _local_input(moment) -> str:
    """The value a person types into a ``datetime-local`` field (the app's time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _bell(page: Page):
    return page.locator("#notification-bell")


def _check_at_both_widths(page: Page) -> None:
    """check_page_quality runs axe at the current width; run it at 1280 px and at 390 px."""
    page.set_viewport_size(DESKTOP)
    check_page_quality(page)
    page.set_viewport_size(PHONE)
    check_page_quality(page)
    page.set_viewport_size(DESKTOP)


def test_a_rep_logs_a_call_from_a_contact_page_and_it_shows_on_the_timeline(page: Page, cast):
    company = make_company(cast.sales, cast.workspace, name="Initech")
    contact = make_contact(cast.sales, cast.workspace, first_name="Peter", last_name="Gibbons", company=company.pk)
    login(page, cast.sales)
    page.goto(f"/contacts/{contact.pk}/")
    expect(page.get_by_text("No activities yet.")).to_be_visible()
    check_page_quality(page)

    # One click opens the quick-add; the form is right there.
    page.get_by_text("Log a call", exact=True).click()
    page.get_by_label("Subject").fill("Discussed the TPS reports")
    page.get_by_label("Direction").select_option("inbound")
    page.get_by_label("Outcome").select_option("voicemail")
    page.get_by_label("Minutes").fill("7")
    page.get_by_label("Notes").first.fill("He will <b>call back</b> on Monday.")
    check_page_quality(page)  # the open form, at both widths
    page.get_by_role("button", name="Save call").click()

    # Back on the contact page, the call is on the timeline with its details.
    page.wait_for_url(re.compile(rf"/contacts/{contact.pk}/$"))
    entry = page.locator("#timeline-entries .timeline-entry.kind-call")
    expect(entry).to_have_count(1)
    expect(entry.get_by_role("link", name="Discussed the TPS reports")).to_be_visible()
    expect(entry).to_contain_text("Inbound · Left voicemail · 7 min")
    expect(entry.locator("b")).to_have_text("call back")  # kept readable after sanitizing
    expect(page.get_by_text("Call logged.")).to_be_visible()
    check_page_quality(page)

    call = Activity.objects.get(kind="call")
    assert (call.subject, call.call_direction, call.call_outcome, call.call_duration_seconds) == (
        "Discussed the TPS reports",
        "inbound",
        "voicemail",
        420,
    )
    assert call.owner_id == cast.sales.pk
    # Linked to the person and rolled up on her company.
    assert set(ActivityLink.objects.filter(activity=call).values_list("target_type", "target_id")) == {
        ("contacts.contact", contact.pk),
        ("contacts.company", company.pk),
    }
    page.goto(f"/companies/{company.pk}/")
    expect(page.locator("#timeline-entries").get_by_role("link", name="Discussed the TPS reports")).to_be_visible()
    check_page_quality(page)


def test_a_task_with_a_reminder_from_a_record_page_rings_the_bell(page: Page, cast):
    contact = make_contact(cast.sales, cast.workspace, first_name="Milton", last_name="Waddams")
    due = timezone.now() + timedelta(days=1)
    remind = timezone.now() + timedelta(hours=2)
    login(page, cast.sales)
    page.goto(f"/contacts/{contact.pk}/")
    expect(_bell(page).locator(".bell-count")).to_have_text("0")

    page.get_by_text("Add a task", exact=True).click()
    page.get_by_label("Task", exact=True).fill("Return the red stapler")
    page.get_by_label("Due").fill(_local_input(due))
    page.get_by_label("Remind me at").fill(_local_input(remind))
    page.get_by_role("button", name="Save task").click()
    page.wait_for_url(re.compile(rf"/contacts/{contact.pk}/$"))
    expect(page.get_by_text("Task created.")).to_be_visible()
    entry = page.locator("#timeline-entries .timeline-entry.kind-task")
    expect(entry.get_by_role("link", name="Return the red stapler")).to_be_visible()
    expect(entry).to_contain_text("Open · due")
    check_page_quality(page)

    task = Task.objects.get(title="Return the red stapler")
    assert task.assignee_id == cast.sales.pk
    assert task.status == TaskStatus.OPEN
    assert task.remind_at.replace(second=0, microsecond=0) == remind.replace(second=0, microsecond=0)
    assert task.reminder_sent_at is None
    assert ActivityLink.objects.filter(activity=task.activity, target_id=contact.pk).exists()

    # Nothing is due yet: a sweep now sends nothing.
    assert sweep_reminders() == 0
    # The worker's sweep when the reminder falls due notifies the assignee once.
    assert sweep_reminders(now=remind + timedelta(minutes=1)) == 1
    assert sweep_reminders(now=remind + timedelta(minutes=2)) == 0
    note = Notification.objects.get(recipient=cast.sales)
    assert note.kind == "task_due" and note.read_at is None
    assert note.title.startswith("Reminder: Return the red stapler")

    # The page stays open: the bell polls every 15 s and shows the new count without a reload.
    expect(_bell(page).locator(".bell-count")).to_have_text("1", timeout=30_000)
    expect(_bell(page)).to_have_accessible_name(re.compile(r"Notifications:\s*1\s*unread"))
    check_page_quality(page)
    # Every page of the app has the bell, with its red badge (its own style sheet), e.g. home.
    page.goto("/")
    expect(_bell(page).locator(".bell-count")).to_have_text("1")
    expect(_bell(page).locator(".bell-count")).to_have_css("background-color", "rgb(197, 48, 48)")

    _bell(page).click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("(1 unread)")
    reminder = page.get_by_role("button", name=re.compile("Reminder: Return the red stapler"))
    expect(reminder).to_be_visible()
    _check_at_both_widths(page)

    # Opening the notification marks it read and leads to My tasks, where the task is listed.
    reminder.click()
    page.wait_for_url(re.compile(r"/tasks/$"))
    expect(page.get_by_role("link", name="Return the red stapler")).to_be_visible()
    expect(_bell(page).locator(".bell-count")).to_have_text("0")
    note.refresh_from_db()
    assert note.read_at is not None
    check_page_quality(page)


def test_a_note_with_a_mention_notifies_the_colleague_in_the_app(page: Page, cast):
    contact = make_contact(cast.sales, cast.workspace, first_name="Samir", last_name="Nagheenanajar")
    login(page, cast.sales)
    page.goto(f"/contacts/{contact.pk}/")
    page.get_by_text("Add a note", exact=True).click()
    page.get_by_label("Note (@name to mention)").fill(
        "@peer can you check the budget? <script>alert('x')</script>Thanks"
    )
    page.get_by_role("button", name="Save note").click()
    page.wait_for_url(re.compile(rf"/contacts/{contact.pk}/$"))
    entry = page.locator("#timeline-entries .timeline-entry.kind-note")
    expect(entry).to_contain_text("@peer can you check the budget?")
    check_page_quality(page)  # no script ran: it would have opened a dialog or broken the CSP

    note = Activity.objects.get(kind="note")
    assert "<script" not in note.body and "alert" not in note.body
    assert "Thanks" in note.body
    mention = Notification.objects.get(kind="mentioned")
    assert (mention.recipient_id, mention.actor_id, mention.activity_id) == (cast.sales_peer.pk, cast.sales.pk, note.pk)
    assert not Notification.objects.filter(recipient=cast.sales).exists(), "no notification for mentioning oneself"

    # The colleague sees it in the bell, opens it, and lands on the note.
    page.context.clear_cookies()
    login(page, cast.sales_peer)
    expect(_bell(page).locator(".bell-count")).to_have_text("1")
    _bell(page).click()
    page.get_by_role("button", name=re.compile("mentioned you")).click()
    page.wait_for_url(re.compile(rf"/activities/{note.pk}/$"))
    expect(page.locator(".entry-body")).to_contain_text("can you check the budget?")
    expect(page.get_by_role("link", name="Samir Nagheenanajar")).to_be_visible()
    check_page_quality(page)


def test_my_tasks_and_the_calendar_pass_the_quality_checks_on_desktop_and_phone(page: Page, cast, acting):
    contact = make_contact(cast.sales, cast.workspace, first_name="Bill", last_name="Lumbergh")
    now = timezone.now()
    same_week = now + timedelta(hours=1) if (now + timedelta(hours=2)).weekday() >= now.weekday() else now
    with acting(cast.sales, cast.workspace) as actor:
        targets = [("contacts.contact", contact.pk)]
        services.create_task(actor=actor, data={"title": "Overdue follow-up", "due_at": now - timedelta(days=2)})
        services.create_task(
            actor=actor, data={"title": "Send the quote today", "due_at": now + timedelta(minutes=5)}, targets=targets
        )
        services.create_task(
            actor=actor,
            data={
                "title": "Service check every 6 months with a rather long title that has to wrap on a phone",
                "due_at": now + timedelta(days=3),
                "priority": "high",
                "recurrence_unit": "months",
                "recurrence_interval": 6,
            },
            targets=targets,
        )
        done = services.create_task(actor=actor, data={"title": "Already done", "due_at": now})
        services.complete_task(actor=actor, task=done)
        services.log_activity(
            actor=actor,
            data={
                "kind": "meeting",
                "subject": "Quarterly review",
                "starts_at": same_week,  # in this week's view, even late on a Sunday
                "ends_at": same_week + timedelta(hours=1),
                "location": "Their office",
            },
            targets=targets,
            attendees=[cast.sales_peer.email],
        )
    login(page, cast.sales)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", level=1, name="My tasks")).to_be_visible()
    for heading, title in (
        ("Overdue", "Overdue follow-up"),
        ("Upcoming", "Service check every 6 months"),
        ("Done", "Already done"),
    ):
        section = page.get_by_role("region", name=re.compile(heading))
        expect(section.get_by_role("link", name=re.compile(title))).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Upcoming"))).to_contain_text("every 6 months")
    _check_at_both_widths(page)
    page.get_by_role("link", name="New task", exact=True).click()  # one click to the task form
    expect(page.get_by_label("Title")).to_be_visible()
    _check_at_both_widths(page)
    page.get_by_label("Title").fill("Written from the form")
    page.get_by_role("button", name="Save task").click()
    page.wait_for_url(re.compile(r"/tasks/$"))  # back to My tasks
    expect(page.get_by_role("region", name=re.compile("Upcoming"))).to_contain_text("Written from the form")

    # Done from the list: the task closes.
    page.get_by_role("button", name=re.compile(r"^Done\W+Overdue follow-up$")).click()
    expect(page.get_by_text("“Overdue follow-up” done.")).to_be_visible()
    assert Task.objects.get(title="Overdue follow-up").status == TaskStatus.DONE

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
    week = page.locator(".week")
    expect(week.get_by_role("link", name=re.compile("Quarterly review"))).to_be_visible()
    expect(week.get_by_role("link", name=re.compile("Task: Service check"))).to_have_count(
        1 if (now + timedelta(days=3)).isocalendar()[:2] == now.isocalendar()[:2] else 0
    )
    _check_at_both_widths(page)

    # A feed address is shown once; the long URL must not widen the phone layout.
    page.get_by_role("button", name="Create a feed address").click()
    expect(page.locator(".feed-url")).to_contain_text("/calendar/feed/")
    assert CalendarFeed.objects.filter(user=cast.sales, revoked_at__isnull=True).count() == 1
    _check_at_both_widths(page)
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
    _check_at_both_widths(page)


def test_the_full_timeline_pages_back_in_time_and_filters_by_kind(page: Page, cast):
    contact = make_contact(cast.sales, cast.workspace, first_name="Joanna", last_name="Flingers")
    start = timezone.now() - timedelta(days=60)
    for n in range(55):  # the oldest is number 0; every third one is a call
        make_activity(
            cast.sales,
            cast.workspace,
            kind="call" if n % 3 == 0 else "note",
            subject=f"Entry {n:02d}",
            target=contact,
            occurred_at=start + timedelta(hours=n),
        )
    login(page, cast.sales)
    page.goto(f"/contacts/{contact.pk}/")
    expect(page.locator("#timeline-entries .timeline-entry")).to_have_count(50)
    page.get_by_role("link", name="Full timeline and filters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline of Joanna Flingers")
    entries = page.locator("#timeline-entries .timeline-entry")
    expect(entries).to_have_count(50)
    expect(entries.first).to_contain_text("Entry 54")  # newest first
    expect(entries.last).to_contain_text("Entry 05")
    _check_at_both_widths(page)

    page.get_by_role("link", name="Older activities").click()
    expect(entries).to_have_count(5)
    expect(entries.first).to_contain_text("Entry 04")
    expect(entries.last).to_contain_text("Entry 00")
    expect(page.get_by_role("link", name="Older activities")).to_have_count(0)

    page.goto(f"/timeline/contacts.contact/{contact.pk}/")
    page.get_by_label("Call").check()
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(19)  # calls are 0, 3, … 54
    expect(page.locator("#timeline-entries .timeline-entry.kind-note")).to_have_count(0)
    expect(page.get_by_label("Call")).to_be_checked()
    _check_at_both_widths(page)
