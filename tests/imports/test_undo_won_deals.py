"""Undo of a deal import that won deals: the lifecycle stages the wins set are put back, and only those.

Winning a deal makes its company and contacts customers (``sales.services.customers.mark_customers``).
The deal target notes each such change in ``ctx.side_updated``; the per-row path of
``imports.services`` writes them to the ledger as *updated* items.
"""

from __future__ import annotations

import pytest

from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, Contact
from rapport.imports import services, targets_sales
from rapport.imports.models import ImportItem, ItemAction
from rapport.imports.targets import Context
from rapport.sales.models import Deal, DealStatus
from rapport.sales.services import customers as customer_services
from rapport.sales.services import deals as deal_services
from rapport.sales.services import pipelines as pipeline_services

DEALS = "Deal Name,Company,Deal Stage,Amount\nBig Win,Acme Ltd,Closed Won,100\nStill open,Acme Ltd,Proposal,50\n"


@pytest.fixture
def acme(cast, acting):
    """The standard pipeline and a company in the *opportunity* stage."""
    with acting(cast.owner, cast.workspace) as actor:
        pipeline_services.ensure_standard_setup(actor=actor)
        return contact_services.company_create(actor=actor, data={"name": "Acme Ltd", "lifecycle_stage": "opportunity"})


def _import(actor, content: str, **config):
    run = services.import_upload(actor=actor, file_name="deals.csv", content=content.encode(), target="deals")
    if config:
        services.import_configure(actor=actor, run=run, **config)
    services.import_start(actor=actor, run=run, background=False)
    return services.import_execute(actor=actor, run_id=run.pk)


def _stage(record) -> str:
    return type(record).all_objects.get(pk=record.pk).lifecycle_stage


def test_winning_a_deal_notes_the_lifecycle_it_changes(cast, acting, acme):
    with acting(cast.owner, cast.workspace) as actor:
        ctx = Context(actor=actor, target="deals", dedupe_key="", policy="create", tags=[])
        values = {"name": [("Deal Name", "Big Win")], "stage": [("Stage", "Closed Won")]}
        values["company"] = [("Company", "Acme Ltd")]
        outcome, deal = targets_sales.apply_deal(ctx, targets_sales.deal_plan(ctx, 2, values), None)
        assert outcome == "created" and deal.status == DealStatus.WON
        [(record, before)] = ctx.side_updated
        assert (type(record), record.pk, record.version) == (Company, acme.pk, Company.objects.get(pk=acme.pk).version)
        assert before["fields"] == {"lifecycle_stage": "opportunity"}
        assert before["set"] == {"lifecycle_stage": "customer"}
        # the next row starts afresh, and a company that is already a customer is not noted again
        values["name"] = [("Deal Name", "Second Win")]
        targets_sales.apply_deal(ctx, targets_sales.deal_plan(ctx, 3, values), None)
        assert ctx.side_updated == []


def test_undo_puts_back_the_lifecycle_a_won_deal_set(cast, acting, acme):
    with acting(cast.owner, cast.workspace) as actor:
        run = _import(actor, DEALS)
        assert (run.created_count, run.error_count) == (2, 0)
        assert _stage(acme) == "customer"
        item = ImportItem.objects.get(run=run, action=ItemAction.UPDATED)
        assert (item.object_id, item.before["fields"]) == (acme.pk, {"lifecycle_stage": "opportunity"})
        result = services.import_undo(actor=actor, run=run)
    assert result == {"removed": 2, "reverted": 1, "kept": []}
    assert not Deal.objects.exists()
    assert _stage(acme) == "opportunity"


def test_undo_keeps_a_lifecycle_someone_changed_after_the_import(cast, acting, acme):
    with acting(cast.owner, cast.workspace) as actor:
        run = _import(actor, DEALS)
        company = Company.objects.get(pk=acme.pk)
        contact_services.company_update(actor=actor, company=company, data={"lifecycle_stage": "evangelist"})
        result = services.import_undo(actor=actor, run=run)
    assert result["removed"] == 2 and result["reverted"] == 0
    assert result["kept"] == ["company “Acme Ltd” (row 2): changed after the import"]
    assert _stage(acme) == "evangelist"


def test_undo_reverts_the_lifecycle_when_only_other_fields_changed_since(cast, acting, acme):
    with acting(cast.owner, cast.workspace) as actor:
        run = _import(actor, DEALS)
        company = Company.objects.get(pk=acme.pk)
        contact_services.company_update(actor=actor, company=company, data={"industry": "software"})
        result = services.import_undo(actor=actor, run=run)
    assert result == {"removed": 2, "reverted": 1, "kept": []}
    company = Company.objects.get(pk=acme.pk)
    assert (company.lifecycle_stage, company.industry) == ("opportunity", "software")


def test_a_won_deal_kept_by_undo_keeps_its_company_a_customer(cast, acting, acme):
    with acting(cast.owner, cast.workspace) as actor:
        run = _import(actor, DEALS)
        won = Deal.objects.get(name="Big Win")
        deal_services.deal_update(actor=actor, deal=won, data={"next_step": "Upsell"})
        result = services.import_undo(actor=actor, run=run)
    assert result["removed"] == 1
    assert "company “Acme Ltd” (row 2): a won deal still refers to it" in result["kept"]
    assert list(Deal.objects.values_list("name", flat=True)) == ["Big Win"]
    assert _stage(acme) == "customer"


def test_undo_of_an_update_that_won_a_deal_reverts_company_and_contacts(cast, acting, acme):
    with acting(cast.owner, cast.workspace) as actor:
        _import(actor, "Deal Name,Company,Deal Stage\nRenewal,Acme Ltd,Qualified\n")
        renewal = Deal.objects.get(name="Renewal")
        ada = contact_services.contact_create(actor=actor, data={"first_name": "Ada", "lifecycle_stage": "lead"})
        customer_services.deal_contact_add(actor=actor, deal=renewal, contact=ada, role="other")
        run = _import(
            actor,
            "Deal Name,Company,Deal Stage\nRenewal,Acme Ltd,Closed Won\n",
            dedupe_key="name",
            dedupe_policy="update",
        )
        assert run.updated_count == 1 and Deal.objects.get(pk=renewal.pk).status == DealStatus.WON
        assert (_stage(acme), _stage(ada)) == ("customer", "customer")
        result = services.import_undo(actor=actor, run=run)
        assert result == {"removed": 0, "reverted": 3, "kept": []}
        assert Deal.objects.get(pk=renewal.pk).is_open
        assert (_stage(acme), _stage(ada)) == ("opportunity", "lead")


def test_a_company_the_import_created_and_a_later_row_won_is_removed(cast, acting, acme):
    data = "Deal Name,Company,Deal Stage\nFirst,New Co,Qualified\nSecond,New Co,Closed Won\n"
    with acting(cast.owner, cast.workspace) as actor:
        run = _import(actor, data)
        assert _stage(Company.objects.get(name="New Co")) == "customer"
        result = services.import_undo(actor=actor, run=run)
    assert result["kept"] == [] and result["removed"] == 3
    assert list(Company.objects.values_list("name", flat=True)) == ["Acme Ltd"]
    assert not Contact.objects.exists()
