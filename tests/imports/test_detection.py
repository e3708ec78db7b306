"""The record type (target) an upload is imported as is detected from the header names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rapport.imports import services
from rapport.imports.mapping import guess_target
from rapport.imports.readers import read_table
from rapport.sales.models import Deal, DealStatus
from rapport.sales.services import pipelines as pipeline_services
from tests.imports.conftest import FIXTURES

EXPECTED = json.loads((FIXTURES / "expected_counts.json").read_text())

# What the records of each fixture are, from the fixtures' README: every file is an address book
# or a contact export except these. Odoo's res.partner file mixes companies, people and addresses
# in one list, so it has no single known record type and is left out.
NOT_CONTACTS = {
    "crm-exports/salesforce_dataloader_accounts_cp1252.csv": "companies",  # "Records are companies (Accounts)"
    "crm-exports/salesforce_dataloader_opportunities.csv": "deals",  # "Records are deals, not contacts."
}
MIXED = {"crm-exports/odoo_res_partner.csv"}
KNOWN = [e for e in EXPECTED if e["file"] not in MIXED]


def test_the_known_types_name_real_fixtures():
    files = {e["file"] for e in EXPECTED}
    assert set(NOT_CONTACTS) | MIXED <= files
    assert len(KNOWN) == 42


@pytest.mark.parametrize("entry", KNOWN, ids=[e["file"] for e in KNOWN])
def test_every_fixture_is_detected_as_its_record_type(entry):
    path = FIXTURES / entry["file"]
    table = read_table(path.read_bytes(), Path(entry["file"]).name)
    assert guess_target(table.headers) == NOT_CONTACTS.get(entry["file"], "contacts")


@pytest.mark.parametrize(
    ("headers", "target"),
    [
        # HubSpot deals export
        (["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Deal owner"], "deals"),
        # Salesforce opportunity report (UI labels)
        (["Opportunity Name", "Account Name", "Stage", "Amount", "Close Date", "Probability (%)"], "deals"),
        # a contact export that also carries deal columns (X2CRM): the person columns win
        (["firstName", "lastName", "email", "closedate", "dealvalue", "dealstatus", "Stage", "Amount"], "contacts"),
        # a stage column alone does not make a deal list
        (["Name", "Email", "Stage"], "contacts"),
        (["Name", "Stage", "Amount"], "contacts"),
        (["Account Name", "Website", "Industry"], "companies"),
    ],
)
def test_deal_lists_are_told_from_contact_and_account_lists(headers, target):
    assert guess_target(headers) == target


def test_the_salesforce_opportunity_export_uploads_and_imports_as_deals(cast, acting):
    name = "salesforce_dataloader_opportunities.csv"
    content = (FIXTURES / "crm-exports" / name).read_bytes()
    stages = ["Prospecting", "Id. Decision Makers", "Needs Analysis", "Value Proposition"]
    stages += ["Proposal/Price Quote", "Negotiation/Review"]
    with acting(cast.owner, cast.workspace) as actor:
        pipeline_services.pipeline_create(actor=actor, name="Salesforce", stages=[{"name": s} for s in stages])
        run = services.import_upload(actor=actor, file_name=name, content=content)  # no target given
        assert run.target == "deals" and run.dedupe_key == "external_id"
        assert run.mapping["NAME"] == "name" and run.mapping["STAGENAME"] == "stage"
        assert run.mapping["ACCOUNTID"] == "company_external_id"
        services.import_start(actor=actor, run=run, background=False)
        run = services.import_execute(actor=actor, run_id=run.pk)
    assert (run.created_count, run.error_count) == (38, 0)
    assert Deal.objects.count() == 38 and Deal.objects.filter(status=DealStatus.WON).count() == 8
