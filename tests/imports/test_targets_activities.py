"""The activity import target: notes, calls, meetings and tasks logged on contacts and companies."""

import pytest

from rapport.activities.models import Activity, ActivityKind, ActivityLink, Task
from rapport.contacts import services as contact_services
from rapport.imports import services
from rapport.imports.models import ImportItem, ImportStatus

ACTIVITIES = (
    "Type,Subject,Notes,Date,End,Duration,Contact Email,Company,Assigned To,Activity ID\n"
    "Note,Intro,Met at the fair,2026-01-10 09:30,,,ada@engines.test,,,A-1\n"
    "Call,Follow-up,Talked prices,2026-01-11 14:00,,5:30,,Analytical Engines,,A-2\n"
    "Meeting,Demo,Product demo,2026-01-12 10:00,2026-01-12 11:00,,ada@engines.test,,,A-3\n"
    "Task,Send quote,,2026-02-01 12:00,,,,Analytical Engines,sales@acme.test,A-4\n"
)


@pytest.fixture
def people(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        company = contact_services.company_create(actor=actor, data={"name": "Analytical Engines"})
        ada = contact_services.contact_create(
            actor=actor,
            data={"first_name": "Ada", "last_name": "Lovelace", "company": company.pk},
            emails=[{"email": "ada@engines.test", "label": "work"}],
        )
    return ada, company


def _run(actor, content, **config):
    run = services.import_upload(actor=actor, file_name="a.csv", content=content, target="activities")
    if config:
        services.import_configure(actor=actor, run=run, **config)
    return run


def _execute(actor, run):
    services.import_start(actor=actor, run=run, background=False)
    return services.import_execute(actor=actor, run_id=run.pk)


def test_a_good_file_logs_each_kind_on_its_records(cast, acting, people):
    ada, company = people
    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, ACTIVITIES.encode())
        assert run.mapping["Type"] == "kind" and run.mapping["Contact Email"] == "contact_email"
        assert run.mapping["Assigned To"] == "assignee_email" and run.mapping["Activity ID"] == "external_id"
        report = services.import_dry_run(actor=actor, run=run)
        assert (report["created"], report["error"]) == (4, 0), report["errors"]
        assert not Activity.objects.exists()
        run = _execute(actor, run)
    assert (run.status, run.created_count) == (ImportStatus.DONE, 4)
    note = Activity.objects.get(subject="Intro")
    assert note.kind == ActivityKind.NOTE and "Met at the fair" in note.body
    assert note.occurred_at.strftime("%Y-%m-%d") == "2026-01-10"
    # logged on Ada and, through her, on her company (like the timeline form)
    assert set(ActivityLink.objects.filter(activity=note).values_list("target_type", "target_id")) == {
        ("contacts.contact", ada.pk),
        ("contacts.company", company.pk),
    }
    call = Activity.objects.get(subject="Follow-up")
    assert call.kind == ActivityKind.CALL and call.call_duration_seconds == 330
    meeting = Activity.objects.get(subject="Demo")
    assert (meeting.ends_at - meeting.starts_at).total_seconds() == 3600
    task = Task.objects.get(title="Send quote")
    assert task.assignee_id == cast.sales.pk and task.due_at.strftime("%Y-%m-%d") == "2026-02-01"
    assert ImportItem.objects.filter(run=run).count() == 4


def test_bad_rows_are_reported_and_nothing_is_half_written(cast, acting, people):
    data = (
        b"Type,Subject,Notes,Date,Contact Email,Company\n"
        b"Note,Fine,Some words,2026-01-10,ada@engines.test,\n"
        b"Note,Unknown person,Words,2026-01-10,nobody@nowhere.test,\n"
        b"Note,Unknown company,Words,2026-01-10,,Nope Inc\n"
        b"Fax,Odd kind,Words,2026-01-10,ada@engines.test,\n"
        b"Note,Bad date,Words,someday,ada@engines.test,\n"
        b"Note,Nobody,Words,2026-01-10,,\n"
        b"Note,Empty note,,2026-01-10,ada@engines.test,\n"
        b"Meeting,No start,Words,,ada@engines.test,\n"
    )
    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, data)
        report = services.import_dry_run(actor=actor, run=run)
        assert (report["created"], report["error"]) == (1, 7)
        errors = {e["row"]: e for e in report["errors"]}
        assert errors[3]["column"] == "Contact Email" and "nobody@nowhere.test" in errors[3]["reason"]
        assert errors[4]["column"] == "Company" and "Nope Inc" in errors[4]["reason"]
        assert errors[5]["column"] == "Type" and "'Fax'" in errors[5]["reason"]
        assert errors[6]["column"] == "Date"
        assert "names no contact" in errors[7]["reason"]
        assert errors[8]["column"] == "Notes"  # the service refuses an empty note
        assert errors[9]["column"] == "Date"  # a meeting needs its start
        run = _execute(actor, run)
    assert (run.created_count, run.error_count) == (1, 7)
    assert list(Activity.objects.values_list("subject", flat=True)) == ["Fine"]
    assert ActivityLink.objects.count() == 2


def test_dedupe_by_external_id_update_and_undo(cast, acting, people):
    with acting(cast.owner, cast.workspace) as actor:
        first = _execute(actor, _run(actor, ACTIVITIES.encode()))
        again = "Activity ID,Type,Subject,Notes,Contact Email\nA-1,Note,Intro (edited),New words,ada@engines.test\n"
        again += "A-9,Note,Fresh,Words,ada@engines.test\n"
        skipped = _execute(actor, _run(actor, again.encode()))
        assert (skipped.skipped_count, skipped.created_count) == (1, 1)
        assert Activity.objects.filter(subject="Intro").exists()
        update = _execute(actor, _run(actor, again.encode(), dedupe_policy="update"))
        assert update.updated_count == 2
        note = Activity.objects.get(subject="Intro (edited)")
        assert "New words" in note.body
        result = services.import_undo(actor=actor, run=update)
        assert result["reverted"] == 2 and result["kept"] == []
        note.refresh_from_db()
        assert note.subject == "Intro" and "Met at the fair" in note.body
        task_row = "Activity ID,Type,Subject,Company\nA-4,Task,Changed,Analytical Engines\n"
        tasks = _execute(actor, _run(actor, task_row.encode(), dedupe_policy="update"))
        assert tasks.error_count == 1 and "task is not updated" in tasks.errors[0]["reason"]
        result = services.import_undo(actor=actor, run=first)
        assert result["removed"] == 3 and len(result["kept"]) == 1  # the note changed since (updated, reverted)
    assert set(Activity.objects.values_list("subject", flat=True)) == {"Intro", "Fresh"}
    assert not Task.objects.exists()
    assert ActivityLink.objects.filter(activity__subject="Send quote").count() == 0


def test_a_read_only_member_cannot_import_activities(cast, acting, people):
    from django.core.exceptions import PermissionDenied

    with acting(cast.reader, cast.workspace) as actor, pytest.raises(PermissionDenied):
        _run(actor, ACTIVITIES.encode())


def test_the_wizard_maps_an_activity_file(cast, login, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(cast.owner)
    response = client.post(
        "/imports/", {"file": SimpleUploadedFile("a.csv", ACTIVITIES.encode(), "text/csv"), "target": "activities"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="activities" selected>Activities</option>' in html
    assert "Contact (by e-mail)" in html and "Call duration (minutes or mm:ss)" in html
