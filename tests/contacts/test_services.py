import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rapport.contacts import services
from rapport.contacts.models import CompanyDomain, Contact, ContactCompanyHistory, EmailAddress, PhoneNumber
from rapport.core import history
from rapport.core.models import ConflictError
from rapport.core.scoping import unscoped
from tests.contacts.factories import make_company, make_contact


def _actions(record):
    return [e.action for e in history.history_for(record).order_by("at", "id")]


def test_creating_a_contact_stores_lower_cased_emails_and_e164_phones(cast, acting):
    with acting(cast.sales, cast.workspace) as actor:
        contact = services.contact_create(
            actor=actor,
            data={"first_name": "Ada", "last_name": "Lovelace"},
            emails=["Ada@Example.COM", {"email": "ada@home.example", "label": "personal"}],
            phones=["(415) 555-0100", {"number": "+44 20 7946 0958", "label": "mobile"}],
        )
        emails = list(EmailAddress.objects.filter(contact=contact).values_list("email", "is_primary"))
        phones = list(PhoneNumber.objects.filter(contact=contact).values_list("number", "digits"))
    assert emails == [("ada@example.com", True), ("ada@home.example", False)]
    assert phones == [("+14155550100", "14155550100"), ("+442079460958", "442079460958")]
    assert (contact.primary_email, contact.primary_phone) == ("ada@example.com", "+14155550100")
    assert contact.owner_id == cast.sales.pk


def test_a_national_number_is_read_in_the_workspace_default_region(cast, acting):
    cast.workspace.default_region = "FR"
    cast.workspace.save()
    with acting(cast.sales, cast.workspace) as actor:
        contact = services.contact_create(actor=actor, data={"first_name": "Zoé"}, phones=["01 42 68 53 00"])
    assert contact.primary_phone == "+33142685300"


def test_update_edit_delete_restore_each_write_history(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        contact = services.contact_create(actor=actor, data={"first_name": "Grace", "last_name": "Hopper"})
        services.contact_update(actor=actor, contact=contact, data={"job_title": "Admiral"})
        services.contact_delete(actor=actor, contact=contact)
        services.contact_restore(actor=actor, contact=Contact.all_objects.get(pk=contact.pk))
        entries = list(history.history_for(contact).order_by("at", "id"))
    assert [e.action for e in entries] == ["create", "update", "delete", "restore"]
    assert entries[1].changes == {"job_title": ["", "Admiral"]}


def test_changing_emails_phones_and_tags_writes_one_history_event_and_moves_the_version(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        contact = services.contact_create(actor=actor, data={"first_name": "Ann"}, emails=["ann@a.example"])
        version = contact.version
        changed = services.contact_update(
            actor=actor, contact=contact, emails=["ann@b.example"], phones=["+14155550101"], tags=["VIP", "press"]
        )
        last = history.history_for(contact).order_by("-at", "-id").first()
        fresh = Contact.objects.get(pk=contact.pk)
    assert changed
    assert fresh.version == version + 1
    assert fresh.primary_email == "ann@b.example"
    assert last.changes["emails"] == ["ann@a.example (work)", "ann@b.example (work)"]
    assert last.changes["tags"] == ["", "press, VIP"]
    assert "phones" in last.changes


def test_saving_the_same_values_again_changes_nothing(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        contact = services.contact_create(actor=actor, data={"first_name": "Same"}, emails=["same@example.com"])
        changed = services.contact_update(
            actor=actor, contact=contact, data={"first_name": "Same"}, emails=["same@example.com"], tags=[]
        )
        assert not changed
        assert Contact.objects.get(pk=contact.pk).version == contact.version == 1


def test_a_stale_update_is_a_conflict_and_writes_nothing(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        contact = services.contact_create(actor=actor, data={"first_name": "Old"})
        other = Contact.objects.get(pk=contact.pk)
        services.contact_update(actor=actor, contact=other, data={"first_name": "Theirs"})
        with pytest.raises(ConflictError):
            services.contact_update(
                actor=actor, contact=contact, data={"first_name": "Mine"}, emails=["mine@example.com"]
            )
        with pytest.raises(ConflictError):
            services.contact_update(
                actor=actor, contact=Contact.objects.get(pk=contact.pk), emails=["x@example.com"], expected_version=1
            )
        fresh = Contact.objects.get(pk=contact.pk)
        assert fresh.first_name == "Theirs"
        assert not EmailAddress.objects.filter(contact=contact).exists()


def test_a_stale_nested_only_update_is_a_conflict_too(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        contact = services.contact_create(actor=actor, data={"first_name": "Old"})
        other = Contact.objects.get(pk=contact.pk)
        services.contact_update(actor=actor, contact=other, data={"first_name": "Theirs"})
        with pytest.raises(ConflictError):
            services.contact_update(actor=actor, contact=contact, emails=["mine@example.com"])
        assert not EmailAddress.objects.filter(contact=contact).exists()


def test_moving_a_contact_to_another_company_keeps_the_previous_one_in_their_history(cast, acting):
    first = make_company(cast.owner, cast.workspace, name="First Ltd")
    second = make_company(cast.owner, cast.workspace, name="Second Ltd")
    contact = make_contact(cast.owner, cast.workspace, company=first, job_title="Engineer")
    with acting(cast.owner, cast.workspace) as actor:
        services.contact_update(actor=actor, contact=contact, data={"company": second, "job_title": "CTO"})
        past = ContactCompanyHistory.objects.get(contact=contact)
    assert (past.company_id, past.title) == (first.pk, "Engineer")


def test_a_rep_cannot_link_a_contact_to_a_company_they_cannot_see(cast, acting):
    hidden = make_company(cast.sales_west, cast.workspace, name="Hidden")
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as info:
        services.contact_create(actor=actor, data={"first_name": "X", "company": hidden.pk})
    assert "company" in info.value.message_dict


def test_read_only_members_cannot_create_or_change_contacts(cast, acting):
    contact = make_contact(cast.reader, cast.workspace, actor_user=cast.owner)
    with acting(cast.reader, cast.workspace) as actor:
        with pytest.raises(PermissionDenied):
            services.contact_create(actor=actor, data={"first_name": "No"})
        with pytest.raises(PermissionDenied):
            services.contact_update(actor=actor, contact=contact, data={"first_name": "No"})


def test_company_domains_are_unique_among_live_companies(cast, acting):
    acme = make_company(cast.owner, cast.workspace, name="Acme", domains=["https://www.Acme.example/about"])
    with acting(cast.owner, cast.workspace) as actor:
        assert list(CompanyDomain.objects.filter(company=acme).values_list("domain", flat=True)) == ["acme.example"]
        with pytest.raises(ValidationError) as info:
            services.company_create(actor=actor, data={"name": "Copycat"}, domains=["acme.example"])
        assert "already belongs to the company “Acme”" in info.value.message_dict["domains.0.domain"][0]
        services.company_delete(actor=actor, company=acme)
        copy = services.company_create(actor=actor, data={"name": "Copycat"}, domains=["acme.example"])
        assert copy.primary_domain == "acme.example"


def test_restoring_a_company_whose_domain_was_taken_is_refused_with_the_reason(cast, acting):
    acme = make_company(cast.owner, cast.workspace, name="Acme", domains=["acme.example"])
    with acting(cast.owner, cast.workspace) as actor:
        services.company_delete(actor=actor, company=acme)
        services.company_create(actor=actor, data={"name": "Newco"}, domains=["acme.example"])
        with pytest.raises(ValidationError) as info:
            services.company_restore(actor=actor, company=type(acme).all_objects.get(pk=acme.pk))
    assert "Newco" in info.value.messages[0]
    with unscoped():
        assert type(acme).all_objects.get(pk=acme.pk).deleted_at is not None


def test_a_company_cannot_be_its_own_ancestor(cast, acting):
    group = make_company(cast.owner, cast.workspace, name="Group")
    daughter = make_company(cast.owner, cast.workspace, name="Daughter", parent=group)
    grand = make_company(cast.owner, cast.workspace, name="Grand", parent=daughter)
    with acting(cast.owner, cast.workspace) as actor:
        with pytest.raises(ValidationError) as info:
            services.company_update(actor=actor, company=group, data={"parent": grand})
        assert "loop" in info.value.message_dict["parent"][0]
        with pytest.raises(ValidationError):
            services.company_update(actor=actor, company=group, data={"parent": group})
        assert list(group.subsidiaries.all()) == [daughter]


def test_history_shows_the_tags_and_domains_of_a_company(cast, acting):
    company = make_company(cast.owner, cast.workspace, name="Tagged", domains=["t.example"], tags=["Partner"])
    with acting(cast.owner, cast.workspace):
        entries = list(history.history_for(company).order_by("at", "id"))
    assert [e.action for e in entries] == ["create"]  # one creation, one entry: fields, domains and tags
    assert entries[0].changes["name"] == [None, "Tagged"]
    assert entries[0].changes["domains"] == ["", "t.example"] and entries[0].changes["tags"] == ["", "Partner"]
