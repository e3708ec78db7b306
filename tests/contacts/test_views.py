import pytest
from django.urls import reverse

from rapport.contacts.models import Company, Contact
from rapport.core.registry import RecordPanel, registry
from rapport.core.scoping import workspace_scope
from tests.contacts.factories import make_company, make_contact


def test_contact_list_shows_visible_contacts_with_their_company(cast, login):
    acme = make_company(cast.sales, cast.workspace, name="Acme Rockets")
    make_contact(
        cast.sales, cast.workspace, first_name="Ada", last_name="Lovelace", company=acme, emails=["ada@acme.example"]
    )
    make_contact(cast.sales_west, cast.workspace, first_name="Hidden", last_name="West")
    response = login(cast.sales).get(reverse("contacts:contact_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ada Lovelace" in body and "Acme Rockets" in body and "ada@acme.example" in body
    assert "Hidden" not in body


def test_an_unknown_filter_field_is_a_clear_error(cast, login):
    response = login(cast.owner).get(reverse("contacts:contact_list"), {"filter": "shoe_size:eq:42"})
    assert response.status_code == 400
    assert "Unknown field “shoe_size”" in response.content.decode()


def test_htmx_requests_get_only_the_table(cast, login):
    make_contact(cast.owner, cast.workspace, first_name="Partial")
    response = login(cast.owner).get(reverse("contacts:contact_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Partial" in body and "<html" not in body


def test_contact_page_shows_key_facts_and_history(cast, login):
    contact = make_contact(
        cast.owner,
        cast.workspace,
        first_name="Grace",
        last_name="Hopper",
        emails=["grace@navy.example"],
        phones=["+14155550123"],
        tags=["VIP"],
    )
    response = login(cast.owner).get(reverse("contacts:contact_detail", args=[contact.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Grace Hopper" in body and "grace@navy.example" in body and "(415) 555-0123" in body
    assert "VIP" in body and "History" in body


def test_record_page_shows_panels_registered_by_other_apps(cast, login, settings):
    panel = RecordPanel(
        key="test-deals",
        title="Open deals (test)",
        record_types=("contacts.contact",),
        template="contacts/_custom.html",
        context=lambda actor, record: {"seen": record.pk},
    )
    registry.add_panel(panel)
    try:
        contact = make_contact(cast.owner, cast.workspace)
        body = login(cast.owner).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    finally:
        registry.panels.remove(panel)
    assert "Open deals (test)" in body


def test_creating_a_contact_through_the_form(cast, login):
    client = login(cast.sales)
    response = client.post(
        reverse("contacts:contact_create"),
        {
            "first_name": "New",
            "last_name": "Person",
            "owner": str(cast.sales.pk),
            "lifecycle_stage": "lead",
            "tags": "fair, 2026",
            "emails-TOTAL_FORMS": "1",
            "emails-INITIAL_FORMS": "0",
            "emails-0-email": "New@Example.com",
            "emails-0-label": "work",
            "phones-TOTAL_FORMS": "1",
            "phones-INITIAL_FORMS": "0",
            "phones-0-number": "",
            "phones-0-label": "work",
            "addresses-TOTAL_FORMS": "1",
            "addresses-INITIAL_FORMS": "0",
            "addresses-0-label": "office",
            "addresses-0-city": "Lyon",
            "addresses-0-country": "FR",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with workspace_scope(cast.workspace.pk):
        contact = Contact.objects.get(last_name="Person")
        assert contact.primary_email == "new@example.com"
        assert contact.addresses.get().country == "FR"


def test_a_bad_email_shows_what_is_expected_and_saves_nothing(cast, login):
    response = login(cast.sales).post(
        reverse("contacts:contact_create"),
        {
            "first_name": "Bad",
            "owner": str(cast.sales.pk),
            "emails-TOTAL_FORMS": "1",
            "emails-INITIAL_FORMS": "0",
            "emails-0-email": "not-an-email",
            "emails-0-label": "work",
            "phones-TOTAL_FORMS": "1",
            "phones-INITIAL_FORMS": "0",
            "phones-0-number": "12",
            "phones-0-label": "work",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter an email address like name@example.com." in body
    assert "Enter a phone number like" in body
    with workspace_scope(cast.workspace.pk):
        assert not Contact.objects.filter(first_name="Bad").exists()


def test_a_stale_edit_shows_a_conflict_and_keeps_what_was_typed(cast, login, acting):
    contact = make_contact(cast.owner, cast.workspace, first_name="Before")
    with acting(cast.owner, cast.workspace) as actor:
        from rapport.contacts import services

        services.contact_update(actor=actor, contact=Contact.objects.get(pk=contact.pk), data={"job_title": "CEO"})
    response = login(cast.owner).post(
        reverse("contacts:contact_edit", args=[contact.pk]),
        {
            "version": "1",
            "first_name": "Typed by me",
            "owner": str(cast.owner.pk),
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "phones-TOTAL_FORMS": "0",
            "phones-INITIAL_FORMS": "0",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this contact" in body
    assert 'value="Typed by me"' in body
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.get(pk=contact.pk).first_name == "Before"


def test_inline_edit_saves_a_cell_with_its_version(cast, login):
    contact = make_contact(cast.owner, cast.workspace, first_name="Cell")
    client = login(cast.owner)
    url = reverse("contacts:contact_cell", args=[contact.pk, "lifecycle_stage"])
    form = client.get(url, headers={"HX-Request": "true"})
    assert 'name="version"' in form.content.decode()
    response = client.post(url, {"value": "customer", "version": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Customer" in response.content.decode()
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.get(pk=contact.pk).lifecycle_stage == "customer"


def test_a_stale_inline_edit_shows_a_conflict_message(cast, login):
    contact = make_contact(cast.owner, cast.workspace, first_name="Cell")
    client = login(cast.owner)
    url = reverse("contacts:contact_cell", args=[contact.pk, "job_title"])
    client.post(url, {"value": "First", "version": "1"}, headers={"HX-Request": "true"})
    response = client.post(url, {"value": "Second", "version": "1"}, headers={"HX-Request": "true"})
    assert "Someone changed this contact since you opened it" in response.content.decode()
    plain = client.post(url, {"value": "Second", "version": "1"})
    assert plain.status_code == 409
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.get(pk=contact.pk).job_title == "First"


def test_quick_create_adds_a_person_to_the_company(cast, login):
    company = make_company(cast.sales, cast.workspace, name="Quick Ltd")
    response = login(cast.sales).post(
        reverse("contacts:company_quick_contact", args=[company.pk]),
        {
            "first_name": "Quinn",
            "last_name": "Fast",
            "email": "quinn@quick.example",
            "phone": "",
            "job_title": "CFO",
        },
    )
    assert response.status_code == 302
    page = login(cast.sales).get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert "Quinn Fast" in page


def test_delete_moves_the_company_to_the_recycle_bin(cast, login):
    company = make_company(cast.owner, cast.workspace, name="Binned")
    response = login(cast.owner).post(reverse("contacts:company_delete", args=[company.pk]))
    assert response.status_code == 302
    with workspace_scope(cast.workspace.pk):
        assert not Company.objects.filter(pk=company.pk).exists()
        assert Company.all_objects.filter(pk=company.pk, deleted_at__isnull=False).exists()
    bin_page = login(cast.owner).get(reverse("core:recycle_bin")).content.decode()
    assert "Binned" in bin_page


@pytest.mark.parametrize("name", ["contacts:contact_list", "contacts:company_list", "contacts:tag_list"])
def test_list_pages_render_for_a_reader(cast, login, name):
    assert login(cast.reader).get(reverse(name)).status_code == 200


def test_cell_urls_without_htmx_are_whole_pages_or_redirects(cast, login):
    contact = make_contact(cast.owner, cast.workspace, first_name="Plain")
    company = make_company(cast.owner, cast.workspace, name="Plain Ltd")
    client = login(cast.owner)
    for record, kind in ((contact, "contact"), (company, "company")):
        detail = reverse(f"contacts:{kind}_detail", args=[record.pk])
        edit = client.get(reverse(f"contacts:{kind}_cell", args=[record.pk, "owner"]))
        body = edit.content.decode()
        assert edit.status_code == 200
        assert "<html" in body and "<main" in body and 'name="version"' in body
        show = client.get(reverse(f"contacts:{kind}_cell_show", args=[record.pk, "owner"]))
        assert show.status_code == 302 and show["Location"] == detail
        fragment = client.get(
            reverse(f"contacts:{kind}_cell_show", args=[record.pk, "owner"]), headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    saved = client.post(
        reverse("contacts:contact_cell", args=[contact.pk, "job_title"]), {"value": "Buyer", "version": "1"}
    )
    assert saved.status_code == 302 and saved["Location"] == reverse("contacts:contact_detail", args=[contact.pk])
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.get(pk=contact.pk).job_title == "Buyer"
