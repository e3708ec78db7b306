"""Exporting a filtered contact list in a real browser (issue #6): the filter is set through the
list's own form, "Export all (CSV)" queues a background export (the list is over the inline limit),
the real task worker builds it, the download link arrives on the export page, and the file holds
exactly the filtered contacts. The export pages pass ``check_page_quality`` at 1280 and 390 px."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import tests.browser.conftest as browser_fixtures
from rapport.exports.models import ExportRun, ExportStatus
from tests.browser.quality import DESKTOP, PHONE, check_page_quality, login
from tests.contacts.factories import make_contact
from tests.imports.test_browser import run_the_task_worker

browser = browser_fixtures.browser
page = browser_fixtures.page

pytestmark = pytest.mark.browser


def check_at_both_widths(page: Page) -> None:
    check_page_quality(page)
    page.set_viewport_size(PHONE)
    check_page_quality(page)
    page.set_viewport_size(DESKTOP)


def test_owner_exports_a_filtered_contact_list_and_the_download_link_arrives(page: Page, cast, settings):
    settings.EXPORT_INLINE_ROWS = 2  # three matching contacts: too many to stream at once
    buyers = {"Ada", "Grace", "Hedy"}
    for name in sorted(buyers):
        make_contact(cast.owner, cast.workspace, first_name=name, last_name="Buyer", job_title="Buyer")
    make_contact(cast.owner, cast.workspace, first_name="Alan", last_name="Engineer", job_title="Engineer")

    login(page, cast.owner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_text("Filters, columns and views").click()
    page.get_by_label("Field", exact=True).select_option(label="Job title")
    page.get_by_label("Operator").select_option(label="is")
    page.get_by_label("Value").fill("Buyer")
    page.get_by_role("button", name="Add filter").click()
    table = page.locator("table").first
    expect(table.get_by_role("link", name="Ada Buyer")).to_be_visible()
    expect(table.get_by_role("link", name="Alan Engineer")).to_have_count(0)

    page.get_by_role("link", name="Export all (CSV)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CSV export of contact")
    expect(page.get_by_text("Status: Queued")).to_be_visible()
    check_at_both_widths(page)
    run = ExportRun.objects.get()
    assert run.status == ExportStatus.QUEUED and run.filters == ["job_title:eq:Buyer"]

    run_the_task_worker(page, re.compile(r"/exports/\d+/$"), "rapport.exports.tasks.build_export")
    link = page.get_by_role("link", name=re.compile(r"^Download contacts-.*\.csv$"))
    expect(link).to_be_visible(timeout=5_000)
    expect(page.get_by_text("Status: Ready to download · 3 rows")).to_be_visible()
    check_at_both_widths(page)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.fullmatch(r"contacts-\d{8}-\d{4}\.csv", download.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 3
    assert all("Buyer" in " ".join(row.values()) for row in rows)
    # (not "Alan": the generated owner's own name may hold it)
    assert not any("Engineer" in " ".join(row.values()) for row in rows)

    # The export is listed on the Exports page with its row count.
    page.goto("/exports/")
    exports = page.get_by_role("row").filter(has=page.get_by_role("link", name="CSV export of contact"))
    expect(exports).to_contain_text("3")
    expect(exports).to_contain_text("Ready to download")
    check_at_both_widths(page)
