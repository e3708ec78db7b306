from rapport.contacts import services
from rapport.contacts.models import Contact
from rapport.core.search import global_search
from tests.contacts.factories import make_company, make_contact


def _labels(actor, text):
    return [hit.label for _group, hits in global_search(actor, text) for hit in hits]


def test_contacts_are_found_by_name_email_phone_and_companies_by_domain(cast, acting):
    make_company(cast.owner, cast.workspace, name="Globex", domains=["globex.example"])
    make_contact(
        cast.owner,
        cast.workspace,
        first_name="Hank",
        last_name="Scorpio",
        emails=["hank@globex.example"],
        phones=["+1 555 010 2030"],
    )
    with acting(cast.owner, cast.workspace) as actor:
        assert "Hank Scorpio" in _labels(actor, "scorpio")
        assert "Hank Scorpio" in _labels(actor, "hank@globex.example")
        assert "Hank Scorpio" in _labels(actor, "+1 (555) 010-2030")
        assert "Globex" in _labels(actor, "globex.example")


def test_deleted_and_invisible_contacts_are_not_found(cast, acting):
    gone = make_contact(cast.owner, cast.workspace, first_name="Gone", last_name="Away")
    make_contact(cast.sales_west, cast.workspace, first_name="Hidden", last_name="Westerly")
    with acting(cast.owner, cast.workspace) as actor:
        services.contact_delete(actor=actor, contact=gone)
        assert "Gone Away" not in _labels(actor, "away")
        services.contact_restore(actor=actor, contact=Contact.all_objects.get(pk=gone.pk))
        assert "Gone Away" in _labels(actor, "away")
    with acting(cast.sales, cast.workspace) as actor:
        assert "Hidden Westerly" not in _labels(actor, "westerly")


def test_an_edit_reindexes_the_contact(cast, acting):
    contact = make_contact(cast.owner, cast.workspace, first_name="Old", last_name="Name")
    with acting(cast.owner, cast.workspace) as actor:
        services.contact_update(actor=actor, contact=contact, data={"last_name": "Renamed"})
        assert "Old Renamed" in _labels(actor, "renamed")


def test_a_restore_from_the_recycle_bin_reindexes_contacts_and_companies(cast, acting, login):
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    from rapport.contacts.models import Company

    contact = make_contact(cast.owner, cast.workspace, first_name="Binned", last_name="Bartholomew")
    company = make_company(cast.owner, cast.workspace, name="Recyclotron", domains=["recyclotron.example"])
    client = login(cast.owner)
    client.post(reverse("contacts:contact_delete", args=[contact.pk]))
    client.post(reverse("contacts:company_delete", args=[company.pk]))
    with acting(cast.owner, cast.workspace) as actor:
        assert "Binned Bartholomew" not in _labels(actor, "bartholomew")
        assert "Recyclotron" not in _labels(actor, "recyclotron.example")
    for model, record in ((Contact, contact), (Company, company)):
        content_type = ContentType.objects.get_for_model(model)
        response = client.post(reverse("core:recycle_bin_restore", args=[content_type.pk, record.pk]))
        assert response.status_code == 302
    with acting(cast.owner, cast.workspace) as actor:
        assert "Binned Bartholomew" in _labels(actor, "bartholomew")
        assert "Recyclotron" in _labels(actor, "recyclotron.example")


def test_making_a_custom_field_searchable_reindexes_contacts_and_companies(
    cast, acting, django_capture_on_commit_callbacks
):
    from rapport.customfields import services as cf_services
    from rapport.search.tasks import reindex_record_type

    with acting(cast.owner, cast.workspace) as actor:
        person_field = cf_services.definition_create(
            actor=actor, record_type="contacts.contact", data={"key": "alias", "label": "Alias", "field_type": "text"}
        )
        company_field = cf_services.definition_create(
            actor=actor, record_type="contacts.company", data={"key": "code", "label": "Code", "field_type": "text"}
        )
    make_contact(cast.owner, cast.workspace, first_name="Plain", last_name="Person", custom={"alias": "Zanzibar"})
    make_company(cast.owner, cast.workspace, name="Plain Company", custom={"code": "Quokkaville"})
    with acting(cast.owner, cast.workspace) as actor:
        assert _labels(actor, "zanzibar") == []
        assert _labels(actor, "quokkaville") == []
    with django_capture_on_commit_callbacks(execute=True), acting(cast.owner, cast.workspace) as actor:
        cf_services.definition_update(actor=actor, definition=person_field, data={"searchable": True})
        cf_services.definition_update(actor=actor, definition=company_field, data={"searchable": True})
    reindex_record_type.call(workspace_id=cast.workspace.pk, provider_key="contact")
    reindex_record_type.call(workspace_id=cast.workspace.pk, provider_key="company")
    with acting(cast.owner, cast.workspace) as actor:
        assert "Plain Person" in _labels(actor, "zanzibar")
        assert "Plain Company" in _labels(actor, "quokkaville")
