"""Email from the record through a real SMTP server: merge fields, the timeline, failures, retries, consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from rapport.activities import mail, services
from rapport.activities.models import EmailMessage, EmailStatus, EmailTemplate, MeetingAttendee
from rapport.contacts.models import Contact
from tests.contacts.factories import make_company, make_contact


@pytest.fixture
def ada(cast):
    company = make_company(cast.sales, cast.workspace, name="Analytical Engines")
    return make_contact(
        cast.sales,
        cast.workspace,
        first_name="Ada",
        last_name="Lovelace",
        company=company,
        emails=["ada@engines.example"],
    )


def compose(client, contact, **data):
    return client.post(reverse("activities:email_compose", args=[contact.pk]), data)


def test_an_email_from_the_record_is_merged_sent_by_smtp_and_logged_as_sent(cast, login, ada, smtp, worker):
    client = login(cast.sales)
    response = compose(
        client,
        ada,
        subject="Hello {{ contact.first_name }}",
        body="Dear {{ contact.full_name }},\nhow is {{ company.name }}?\n{{ sender.email }}",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:contact_detail", args=[ada.pk])
    message = EmailMessage.objects.get(contact=ada)
    assert message.status == EmailStatus.QUEUED and not smtp.messages  # sent by the worker, not the request

    worker()

    [received] = smtp.to("ada@engines.example")
    assert received.subject == "Hello Ada"
    assert "Dear Ada Lovelace," in received.text() and "how is Analytical Engines?" in received.text()
    assert "sales@acme.test" in received.text()
    assert "{{" not in received.text()
    assert received.message["Reply-To"] == "sales@acme.test"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (EmailStatus.SENT, 1, "")
    assert message.sent_at is not None
    assert message.message_id and received.message["Message-ID"] == message.message_id

    page = client.get(reverse("contacts:contact_detail", args=[ada.pk])).content.decode()
    assert "Hello Ada" in page and "email-sent" in page
    company_page = client.get(reverse("contacts:company_detail", args=[ada.company_id])).content.decode()
    assert "Hello Ada" in company_page


def test_a_template_fills_the_subject_and_body(cast, login, ada, smtp, worker):
    template = EmailTemplate.objects.create(
        workspace=cast.workspace, name="Intro", subject="Hi {{ contact.first_name }}", body="From {{ sender.email }}"
    )
    response = compose(login(cast.sales), ada, template=template.pk, subject="", body="")
    assert response.status_code == 302
    worker()
    [received] = smtp.messages
    assert received.subject == "Hi Ada" and "From sales@acme.test" in received.text()


def test_an_unknown_merge_field_is_refused_before_anything_is_queued(cast, login, ada):
    response = compose(login(cast.sales), ada, subject="Hi", body="Hello {{ contact.password }}")
    assert response.status_code == 400
    assert "Unknown merge field(s): {{ contact.password }}" in response.content.decode()
    assert not EmailMessage.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"do_not_contact": True}, "is marked do not contact"), ({"email_consent": "opted_out"}, "opted out of email")],
)
def test_do_not_contact_and_opt_out_give_a_clear_message_and_send_nothing(
    cast, login, ada, smtp, worker, change, reason
):
    Contact.objects.filter(pk=ada.pk).update(**change)
    client = login(cast.sales)
    form = client.get(reverse("activities:email_compose", args=[ada.pk]))
    assert reason in form.content.decode()
    response = compose(client, ada, subject="Hi", body="Hello")
    assert response.status_code == 400
    assert f"Ada Lovelace {reason}: no email was sent." in response.content.decode()
    worker()
    assert not EmailMessage.objects.exists() and not smtp.messages


def test_consent_withdrawn_after_queueing_stops_the_send_with_the_reason(cast, login, ada, smtp, worker):
    compose(login(cast.sales), ada, subject="Hi", body="Hello")
    Contact.objects.filter(pk=ada.pk).update(do_not_contact=True)
    worker()
    message = EmailMessage.objects.get()
    assert message.status == EmailStatus.FAILED and "do not contact" in message.error
    assert not smtp.messages


def test_a_contact_without_an_address_cannot_be_emailed(cast, login):
    nobody = make_contact(cast.sales, cast.workspace, first_name="No", last_name="Mail")
    response = compose(login(cast.sales), nobody, subject="Hi", body="Hello")
    assert response.status_code == 400
    assert "has no email address" in response.content.decode()


def test_smtp_down_marks_the_email_failed_with_the_reason_and_retry_sends_it(cast, login, ada, settings, worker):
    from tests.activities.conftest import Inbox, free_port, use_smtp

    client = login(cast.sales)
    use_smtp(settings, free_port())  # nothing listens there
    compose(client, ada, subject="Status update", body="All good")
    worker()
    message = EmailMessage.objects.get()
    assert message.status == EmailStatus.FAILED
    assert "ConnectionRefusedError" in message.error
    assert message.attempts == 1
    task = DBTaskResult.objects.get(pk=message.task_id)
    assert task.status == "READY" and task.run_after > timezone.now()  # the worker retries it later
    page = client.get(reverse("activities:activity_detail", args=[message.activity_id])).content.decode()
    assert "Failed" in page and "ConnectionRefusedError" in page and "Send again" in page

    from aiosmtpd.controller import Controller

    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        use_smtp(settings, inbox.port)
        retried = client.post(reverse("activities:email_retry", args=[message.activity_id]))
        assert retried.status_code == 302
        message.refresh_from_db()
        assert (message.status, message.error) == (EmailStatus.QUEUED, "")
        worker()
        DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())  # the automatic retry too
        worker()
    finally:
        controller.stop()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (EmailStatus.SENT, 2)
    assert len(inbox.messages) == 1  # sent once, although two tasks ran
    assert inbox.messages[0].subject == "Status update"


def test_a_refused_recipient_is_failed_with_the_servers_answer(cast, login, ada, smtp, worker):
    smtp.refuse.add("ada@engines.example")
    compose(login(cast.sales), ada, subject="Hi", body="Hello")
    worker()
    message = EmailMessage.objects.get()
    assert message.status == EmailStatus.FAILED
    assert "SMTPRecipientsRefused" in message.error and "Mailbox unavailable" in message.error
    assert not smtp.messages


def test_only_a_failed_email_can_be_sent_again(cast, acting, ada, smtp, worker):
    with acting(cast.sales, cast.workspace) as actor:
        message = mail.compose_email(actor=actor, contact=ada, subject="Hi", body="Hello")
    worker()
    message.refresh_from_db()
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError, match="Only a failed email"):
        mail.retry_email(actor=actor, message=message)


def test_retrying_an_activity_that_is_not_an_email_is_404(cast, login, ada):
    from tests.activities.factories import make_activity

    note = make_activity(cast.sales, cast.workspace, target=ada)
    assert login(cast.sales).post(reverse("activities:email_retry", args=[note.pk])).status_code == 404


def test_a_reader_cannot_send_email(cast, login):
    theirs = make_contact(cast.reader, cast.workspace, actor_user=cast.owner, emails=["r@example.com"])
    assert compose(login(cast.reader), theirs, subject="Hi", body="Hello").status_code == 403
    assert not EmailMessage.objects.exists()


# --- Meeting invitations ------------------------------------------------------------------------


def test_meeting_invitations_reach_every_attendee_as_an_ics_request(cast, acting, ada, smtp, worker):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=2)
    with acting(cast.sales, cast.workspace) as actor:
        meeting = services.log_activity(
            actor=actor,
            data={"kind": "meeting", "subject": "Kick-off", "starts_at": starts, "ends_at": starts + timedelta(hours=1)}
            | {"location": "Room 4"},
            targets=[("contacts.contact", ada.pk)],
            attendees=["ada@engines.example", "PEER@acme.test", "sales@acme.test"],
            send_invitations=True,
        )
    worker()
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == ["ada@engines.example", "peer@acme.test"]
    invitation = smtp.to("ada@engines.example")[0]
    assert invitation.subject.startswith("Invitation: Kick-off")
    [ics] = invitation.attachments()
    assert ics.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(ics.get_content())
    assert str(calendar["method"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Kick-off" and str(event["location"]) == "Room 4"
    assert event.decoded("dtstart") == starts and event.decoded("dtend") == starts + timedelta(hours=1)
    assert "mailto:sales@acme.test" in str(event["organizer"])
    assert {str(a) for a in event["attendee"]} >= {"mailto:ada@engines.example", "mailto:peer@acme.test"}
    sent = MeetingAttendee.objects.filter(activity=meeting, invitation_sent_at__isnull=False)
    assert sorted(sent.values_list("email", flat=True)) == ["ada@engines.example", "peer@acme.test"]
    worker()
    assert len(smtp.messages) == 2  # nothing is sent twice
