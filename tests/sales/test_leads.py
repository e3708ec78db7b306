from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, Contact, LeadStatus, LifecycleStage
from rapport.core.models import Membership
from rapport.sales.models import AssignmentRule, Deal, DealContact
from rapport.sales.services import leads as lead_services


def _lead(acting, cast, *, email="ana@globex.example", owner=None, **data):
    with acting(cast.sales, cast.workspace) as actor:
        contact = contact_services.contact_create(
            actor=actor,
            data={"first_name": "Ana", "last_name": "Lead", "lifecycle_stage": LifecycleStage.LEAD, **data},
            emails=[email],
        )
    if owner is not None:
        Contact.all_objects.filter(pk=contact.pk).update(owner=owner)
        contact.refresh_from_db()
    return contact


def test_converting_a_lead_creates_the_company_and_a_deal_with_the_contact(cast, acting, pipeline):
    contact = _lead(acting, cast)
    with acting(cast.sales, cast.workspace) as actor:
        deal = lead_services.lead_convert(
            actor=actor, contact=contact, deal_name="Globex deal", pipeline=pipeline, new_company_name="Globex"
        )
    contact.refresh_from_db()
    company = Company.objects.get(name="Globex")
    assert deal.company == company
    assert [d.domain for d in company.domains.all()] == ["globex.example"]
    assert contact.company == company
    assert (contact.lifecycle_stage, contact.lead_status) == (LifecycleStage.OPPORTUNITY, LeadStatus.QUALIFIED)
    assert DealContact.objects.get(deal=deal).contact == contact


def test_converting_finds_the_existing_company_by_email_domain(cast, acting):
    with acting(cast.sales, cast.workspace) as actor:
        existing = contact_services.company_create(
            actor=actor, data={"name": "Globex Corp"}, domains=["globex.example"]
        )
        contact = _lead(acting, cast)
        candidates = lead_services.company_candidates(actor, contact)
    assert [(c, reason) for c, reason in candidates] == [(existing, "domain globex.example")]


def test_converting_refuses_to_create_a_duplicate_company(cast, acting, pipeline):
    with acting(cast.sales, cast.workspace) as actor:
        contact_services.company_create(actor=actor, data={"name": "Globex"})
        contact = _lead(acting, cast, email="ana@gmail.com")
        with pytest.raises(ValidationError) as error:
            lead_services.lead_convert(
                actor=actor, contact=contact, deal_name="X", pipeline=pipeline, new_company_name="globex"
            )
    assert "already exists" in error.value.message_dict["new_company_name"][0]
    assert not Deal.objects.exists()


def test_a_lead_converts_in_three_clicks(cast, acting, login, pipeline):
    contact = _lead(acting, cast)
    client = login(cast.sales)
    inbox = client.get(reverse("sales:lead_inbox"))  # click 1: Leads
    convert_url = reverse("sales:lead_convert", args=[contact.pk])
    assert convert_url in inbox.content.decode()
    page = client.get(convert_url)  # click 2: Convert
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(convert_url, data)  # click 3: Convert (the prefilled form)
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])


def test_new_unowned_leads_go_round_robin_in_the_team(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        lead_services.rule_create(actor=actor, data={"name": "East", "team": cast.team_east})
    east = sorted(Membership.objects.filter(team=cast.team_east).values_list("user_id", flat=True))
    owners = []
    for i in range(len(east) + 1):
        contact = _lead(acting, cast, email=f"p{i}@x.example", owner=None)
        Contact.all_objects.filter(pk=contact.pk).update(owner=None)
        contact.refresh_from_db()
        with acting(cast.owner, cast.workspace):
            owners.append(lead_services.assign_lead(contact=contact))
    assert owners == [*east, east[0]]


def test_a_country_rule_assigns_matching_leads(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        lead_services.rule_create(
            actor=actor, data={"name": "DACH", "field": "country", "values": "DE, AT, CH", "assign_to": cast.sales_west}
        )
    german = _lead(acting, cast)
    with acting(cast.sales, cast.workspace) as actor:
        contact_services.contact_update(actor=actor, contact=german, addresses=[{"city": "Berlin", "country": "DE"}])
    Contact.all_objects.filter(pk=german.pk).update(owner=None)
    german.refresh_from_db()
    french = _lead(acting, cast, email="f@x.example")
    with acting(cast.sales, cast.workspace) as actor:
        contact_services.contact_update(actor=actor, contact=french, addresses=[{"city": "Lyon", "country": "FR"}])
    Contact.all_objects.filter(pk=french.pk).update(owner=None)
    french.refresh_from_db()
    with acting(cast.owner, cast.workspace):
        assert lead_services.assign_lead(contact=german) == cast.sales_west.pk
        assert lead_services.assign_lead(contact=french) is None
    assert AssignmentRule.objects.filter(workspace=cast.workspace).count() == 1


def test_a_new_unowned_lead_is_assigned_when_its_transaction_commits(cast, acting, django_capture_on_commit_callbacks):
    with acting(cast.owner, cast.workspace) as actor:
        lead_services.rule_create(actor=actor, data={"name": "All to West", "assign_to": cast.sales_west})
        with django_capture_on_commit_callbacks(execute=True):
            contact = Contact.objects.create(first_name="New", last_name="Lead", lifecycle_stage=LifecycleStage.LEAD)
    contact.refresh_from_db()
    assert contact.owner == cast.sales_west
