"""The import wizard in a real browser (issue #6, items 1 and 7): upload a real Google Contacts
export, check the preview and the suggested mapping, change one mapping, choose the dedupe key and
policy, dry run, start, watch the progress bar reach 100 % while the real task worker runs the
background task, then undo. A German Outlook export with a bad row shows per-row problems in the
dry run and downloads them as CSV. Every wizard page passes ``check_page_quality`` (which checks
sideways scrolling at 1280 and 390 px) at both widths."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Locator, Page, Route, expect

import tests.browser.conftest as browser_fixtures
from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, Contact, EmailAddress
from rapport.imports.models import ImportItem, ImportRun, ImportStatus
from tests.browser.quality import DESKTOP, PHONE, check_page_quality, login
from tests.core.test_worker import make_worker
from tests.imports.conftest import FIXTURES

browser = browser_fixtures.browser
page = browser_fixtures.page

pytestmark = pytest.mark.browser

GOOGLE = FIXTURES / "google" / "tine20_google_csv_crlf.csv"  # 5 people; "axel" has abc@here.de
OUTLOOK_BAD_ROW = FIXTURES / "awkward" / "tine20_outlook2007_de_mojibake_fffd.csv"  # row 2 has no name
PALM_NO_HEADER = FIXTURES / "awkward" / "horde_palm_no_header.csv"  # 2 people, 21 columns, no header row


def check_at_both_widths(page: Page) -> None:
    """axe and the console at 1280 px and again at 390 px (each call also checks scrolling at both)."""
    check_page_quality(page)
    page.set_viewport_size(PHONE)
    check_page_quality(page)
    page.set_viewport_size(DESKTOP)


def upload(page: Page, path: Path) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Import")).to_be_visible()
    check_at_both_widths(page)
    page.get_by_label(re.compile(r"^File")).set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Import {path.name}")


def download_csv(page: Page, link: Locator) -> tuple[str, list[list[str]]]:
    """Click a download link; the suggested file name and the CSV's rows."""
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    return download.suggested_filename, list(csv.reader(io.StringIO(text)))


def run_the_task_worker(page: Page, polls: re.Pattern[str], task_path: str) -> None:
    """Run the real worker loop (``manage.py rapport_worker --batch``) in-process until the queue is empty.

    On SQLite the live server shares the test's in-memory database connection, so the page's
    polls (URLs matching ``polls``) are held in the browser while the worker writes, then let go.
    """
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(polls, hold)
    for _ in range(300):  # once a poll is held, no request of this page is in the server
        if held:
            break
        page.wait_for_timeout(100)  # a slow CI machine may take seconds to load the page
    assert held, "the page never polled the server"
    assert DBTaskResult.objects.filter(status="READY", task_path=task_path).count() == 1
    make_worker("browser-test-worker").run()
    assert DBTaskResult.objects.get(task_path=task_path).status == "SUCCESSFUL"
    for route in held:
        route.continue_()
    page.unroute(polls)


def test_owner_imports_a_google_export_watches_it_finish_and_undoes_it(page: Page, cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        existing = contact_services.contact_create(
            actor=actor,
            data={"first_name": "Axel", "last_name": "Gert", "job_title": "Buyer"},
            emails=["abc@here.de"],
        )
    login(page, cast.owner)
    upload(page, GOOGLE)

    # The preview and the suggested mapping of a Google Contacts export.
    expect(page.get_by_text(re.compile(r"header on line 1; 5 rows\."))).to_be_visible()
    expect(page.get_by_label("Field for Given Name", exact=True)).to_have_value("first_name")
    expect(page.get_by_label("Field for Family Name", exact=True)).to_have_value("last_name")
    expect(page.get_by_label("Field for E-mail 1 - Value", exact=True)).to_have_value("email")
    expect(page.get_by_label("Field for Phone 1 - Value", exact=True)).to_have_value("phone")
    expect(page.get_by_label("Field for Notes", exact=True)).to_have_value("")
    preview = page.locator("table.preview")
    expect(preview.get_by_role("columnheader", name="E-mail 1 - Value")).to_be_visible()
    expect(preview.get_by_role("cell", name="abc@here.de")).to_be_visible()
    check_at_both_widths(page)

    # Change one mapping (the Notes column into Job title), dedupe by e-mail and update.
    page.get_by_label("Field for Notes", exact=True).select_option(label="Job title")
    page.get_by_label("Find existing records by").select_option(label="E-mail")
    page.get_by_label("When one exists").select_option(label="Update the existing record")
    page.get_by_role("button", name="Check (dry run)").click()
    dry_run = page.get_by_role("region", name="Dry run", exact=True)
    expect(dry_run).to_contain_text("4 to create, 1 to update, 0 to skip, 0 rows with errors. Nothing was written.")
    expect(dry_run.get_by_role("row").filter(has_text="021224351809")).to_contain_text("warning")
    expect(page.get_by_label("Field for Notes", exact=True)).to_have_value("job_title")  # the choice is kept
    check_at_both_widths(page)
    run = ImportRun.objects.get()
    assert run.mapping["Notes"] == "job_title"
    assert (run.dedupe_key, run.dedupe_policy) == ("email", "update")
    assert Contact.objects.count() == 1  # the dry run wrote nothing

    # Start: the page shows the queued import, the worker runs it, the bar reaches 100 %.
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_text("The import is running; you may leave this page.")).to_be_visible()
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("max", "5")
    expect(bar).to_have_attribute("value", "0")
    check_at_both_widths(page)
    run_the_task_worker(page, re.compile(r"/imports/\d+/progress/$"), "rapport.imports.tasks.run_import")
    expect(bar).to_have_attribute("value", "5")
    progress = page.get_by_role("region", name="Progress")
    expect(progress).to_contain_text("Done: 5 of 5 rows")
    expect(progress.locator("[aria-live]")).to_have_text(re.compile(r"^100%"))
    counts = page.locator(".import-counts")
    expect(counts.locator("div", has_text="Created")).to_contain_text("4")
    expect(counts.locator("div", has_text="Updated")).to_contain_text("1")
    check_at_both_widths(page)
    link = progress.get_by_role("link", name="Download the row errors and warnings (CSV)")
    name, rows = download_csv(page, link)
    assert name == f"import-{run.pk}-errors.csv"
    assert [row[:3] for row in rows] == [
        ["row", "column", "level"],
        ["4", "Phone 1 - Value", "warning"],
        ["6", "Phone 1 - Value", "warning"],
    ]

    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and (run.created_count, run.updated_count) == (4, 1)
    assert set(Contact.objects.values_list("first_name", flat=True)) == {"axel", "Ando", "Anna", "Anne", "Bus Winsen"}
    existing.refresh_from_db()
    assert (existing.first_name, existing.job_title) == ("axel", "rutan")  # job title from Notes, mapped by hand
    assert ImportItem.objects.filter(run=run).count() == 5

    # Undo removes the four new people and puts Axel's job title back.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo this import").click()
    expect(page.get_by_text("Import undone: 4 records removed, 1 put back.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo this import")).to_have_count(0)
    check_at_both_widths(page)
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE
    assert list(Contact.objects.values_list("pk", flat=True)) == [existing.pk]
    existing.refresh_from_db()
    assert (existing.first_name, existing.job_title) == ("Axel", "Buyer")


def test_dry_run_lists_the_bad_row_and_its_problems_download_as_csv(page: Page, cast):
    login(page, cast.owner)
    upload(page, OUTLOOK_BAD_ROW)
    expect(page.get_by_label("Field for Vorname", exact=True)).to_have_value("first_name")
    expect(page.get_by_label("Field for E-Mail-Adresse", exact=True)).to_have_value("email")
    check_at_both_widths(page)

    page.get_by_role("button", name="Check (dry run)").click()
    dry_run = page.get_by_role("region", name="Dry run", exact=True)
    expect(dry_run).to_contain_text("1 to create, 0 to update, 0 to skip, 1 row with errors.")
    bad = dry_run.get_by_role("row").filter(has_text="a contact needs a name")
    expect(bad.get_by_role("cell").first).to_have_text("2")
    expect(bad).to_contain_text("error")
    expect(dry_run.get_by_role("row").filter(has_text="'tel_work' was not imported")).to_contain_text("warning")
    check_at_both_widths(page)

    name, rows = download_csv(page, dry_run.get_by_role("link", name="Download every problem (CSV)"))
    assert name == f"import-{ImportRun.objects.get().pk}-errors.csv"
    assert rows[0] == ["row", "column", "level", "reason"]
    assert rows[1][:3] == ["2", "", "error"] and "a contact needs a name" in rows[1][3]
    assert [r[2] for r in rows[2:]] == ["warning"] * 3
    assert Contact.objects.count() == 0


def test_a_file_without_header_is_mapped_by_position_and_undo_removes_the_company_it_created(page: Page, cast):
    login(page, cast.owner)
    upload(page, PALM_NO_HEADER)
    expect(page.get_by_text(re.compile(r"no header row \(columns by position\); 2 rows\."))).to_be_visible()
    expect(page.get_by_label("Field for Column 1", exact=True)).to_have_value("")

    # Nothing is mapped yet: starting is refused with a message, and nothing is queued.
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("alert")).to_contain_text("Map at least one column to a field.")
    check_at_both_widths(page)
    assert not DBTaskResult.objects.exists()

    for column, field in [
        ("Column 1", "Last name"),
        ("Column 2", "First name"),
        ("Column 3", "Job title"),
        ("Column 4", "Company (by name)"),
        ("Column 9", "E-mail"),
    ]:
        page.get_by_label(f"Field for {column}", exact=True).select_option(label=field)
    page.get_by_label("Tag every imported record (comma-separated)").fill("palm pilot")
    page.get_by_role("button", name="Check (dry run)").click()
    dry_run = page.get_by_role("region", name="Dry run", exact=True)
    expect(dry_run).to_contain_text("2 to create, 0 to update, 0 to skip, 0 rows with errors.")
    expect(dry_run).to_contain_text("Not imported (no field chosen): Column 5, Column 6, Column 7, Column 8, Column 10")
    check_at_both_widths(page)

    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("region", name="Progress")).to_contain_text("of 2 rows")
    run_the_task_worker(page, re.compile(r"/imports/\d+/progress/$"), "rapport.imports.tasks.run_import")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "2")
    expect(page.get_by_role("region", name="Progress")).to_contain_text("Done: 2 of 2 rows")
    check_at_both_widths(page)
    people = Contact.objects.select_related("company").order_by("last_name")
    assert [(c.first_name, c.last_name, c.job_title, c.company.name) for c in people] == [
        ("Gordon", "Shumway1", "President", "Alf Ltd"),
        ("Gordon", "Shumway2", "VP", "Alf Ltd"),
    ]
    assert set(EmailAddress.objects.values_list("email", flat=True)) == {"gordon!@usa.com", "gordon2@usa.com"}
    assert {t.tag.name for c in people for t in c.tagged_items.select_related("tag")} == {"palm pilot"}
    assert Company.objects.count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo this import").click()
    expect(page.get_by_text("Import undone: 3 records removed, 0 put back.")).to_be_visible()
    check_at_both_widths(page)
    assert not Contact.objects.exists() and not Company.objects.exists()

    # The list of imports shows it, undone, with its rows.
    page.get_by_role("link", name="All imports").click()
    earlier = page.get_by_role("region", name="Earlier imports").get_by_role("row").filter(has_text=PALM_NO_HEADER.name)
    expect(earlier).to_contain_text("Undone")
    expect(earlier).to_contain_text("2 / 2")
    check_at_both_widths(page)
