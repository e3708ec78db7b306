"""Exports: CSV / Excel / vCard of what the person sees, formula-safe, logged, background for large sets."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from rapport.core.models import SecurityEvent
from rapport.exports import formats, services
from rapport.exports.models import ExportStatus
from rapport.imports.readers import read_table
from tests.contacts.factories import make_contact


def _text(run):
    with run.file.open("rb") as handle:
        return handle.read().decode("utf-8-sig")


def test_neutralise_makes_formulas_text_but_keeps_numbers():
    assert formats.neutralise("=1+1") == "'=1+1"
    assert formats.neutralise("+33 1 23") == "'+33 1 23"
    assert formats.neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert formats.neutralise("Ada") == "Ada"
    assert formats.neutralise(-5) == -5


def test_csv_export_holds_only_visible_records_and_is_logged(cast, acting):
    make_contact(cast.manager, cast.workspace, first_name="=HYPERLINK(1)", emails=["mine@example.com"])
    make_contact(cast.sales_west, cast.workspace, first_name="Hidden", emails=["west@example.com"])
    make_contact(cast.outsider, cast.other_workspace, first_name="Foreign")
    with acting(cast.manager, cast.workspace) as actor:
        run = services.export_request(actor=actor, record_type="contact", columns=["name", "email"])
        assert run.status == ExportStatus.DONE
        text = _text(run)
        events = list(SecurityEvent.objects.filter(kind="export").values_list("details", flat=True))
    assert "'=HYPERLINK(1)" in text
    assert "Hidden" not in text and "Foreign" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "id" and len(rows) == 2
    assert events and events[-1]["export_id"] == run.pk


def test_excel_and_vcard_exports_round_trip(cast, acting):
    make_contact(cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"])
    with acting(cast.owner, cast.workspace) as actor:
        xlsx = services.export_request(actor=actor, record_type="contact", format="xlsx", columns=["name"])
        vcf = services.export_request(actor=actor, record_type="contact", format="vcf")
        with xlsx.file.open("rb") as handle:
            sheet = load_workbook(handle).active
            values = [[c.value for c in row] for row in sheet.iter_rows()]
        with vcf.file.open("rb") as handle:
            cards = read_table(handle.read(), "x.vcf")
    assert values[1][1] == "Ada Lovelace"
    assert cards.rows[0][cards.headers.index("E-mail 1")] == "ada@example.com"


def test_large_exports_run_in_the_background(cast, acting, settings):
    settings.EXPORT_INLINE_ROWS = 1
    for n in range(3):
        make_contact(cast.owner, cast.workspace, first_name=f"P{n}")
    with acting(cast.owner, cast.workspace) as actor:
        run = services.export_request(actor=actor, record_type="contact")
        assert (run.status == ExportStatus.QUEUED and run.task_id == "") or run.status == ExportStatus.QUEUED
        run = services.export_build(actor=actor, export_id=run.pk)
    assert run.status == ExportStatus.DONE and run.row_count == 3


def test_roles_without_the_export_capability_cannot_export(cast, acting):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.export_request(actor=actor, record_type="contact")


def test_list_export_url_routes_excel_through_the_exports_service(cast, login):
    make_contact(cast.owner, cast.workspace, first_name="Ada")
    client = login(cast.owner)
    response = client.get("/contacts/export/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    plain = client.get("/contacts/export/")
    assert plain.status_code == 200 and b"Ada" in b"".join(plain.streaming_content)
