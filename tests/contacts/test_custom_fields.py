import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.contacts import selectors, services
from rapport.contacts.models import Contact
from rapport.core.scoping import workspace_scope
from rapport.customfields import services as cf_services
from tests.contacts.factories import make_contact


@pytest.fixture
def budget(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        return cf_services.definition_create(
            actor=actor,
            record_type="contacts.contact",
            data={"label": "Budget", "key": "budget", "field_type": "number", "show_in_lists": True},
        )


def test_custom_values_are_validated_saved_filtered_and_sorted(cast, acting, budget):
    make_contact(cast.owner, cast.workspace, first_name="Small", custom={"budget": "10"})
    make_contact(cast.owner, cast.workspace, first_name="Big", custom={"budget": "5000"})
    make_contact(cast.owner, cast.workspace, first_name="None")
    with acting(cast.owner, cast.workspace) as actor:
        with pytest.raises(ValidationError) as info:
            services.contact_create(actor=actor, data={"first_name": "Bad"}, custom={"budget": "lots"})
        assert "custom.budget" in info.value.message_dict
        spec = selectors.list_spec("contact", actor)
        query = selectors.ListQuery.parse(spec, filters=["custom.budget:gt:100"])
        rows = selectors.contact_list(actor, query).page.rows
        assert [c.first_name for c in rows] == ["Big"]
        rows = selectors.contact_list(actor, selectors.ListQuery.parse(spec, sort="-custom.budget")).page.rows
        assert [c.first_name for c in rows] == ["Big", "Small", "None"]
        assert not Contact.objects.filter(first_name="Bad").exists()


def test_custom_fields_show_in_the_list_form_and_api(cast, login, budget):
    contact = make_contact(cast.owner, cast.workspace, first_name="Cf", custom={"budget": "1234"})
    client = login(cast.owner)
    assert "Budget" in client.get(reverse("contacts:contact_list")).content.decode()
    assert 'name="cf_budget"' in client.get(reverse("contacts:contact_edit", args=[contact.pk])).content.decode()
    api = client.get(reverse("contacts_api:contact-detail", kwargs={"pk": contact.pk})).json()
    assert api["custom"]["budget"] is not None
    response = client.patch(
        reverse("contacts_api:contact-detail", kwargs={"pk": contact.pk}),
        {"custom": {"budget": "x"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "custom.budget"
    bad = client.get(reverse("contacts_api:contact-list"), {"filter": "custom.nope:eq:1"})
    assert bad.status_code == 400 and "custom.nope" in bad.json()["errors"][0]["detail"]


def test_inline_edit_of_a_custom_cell(cast, login, budget):
    contact = make_contact(cast.owner, cast.workspace, first_name="Inline", custom={"budget": "1"})
    url = reverse("contacts:contact_cell", args=[contact.pk, "custom.budget"])
    response = login(cast.owner).post(url, {"value": "42", "version": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    with workspace_scope(cast.workspace.pk):
        assert str(Contact.objects.get(pk=contact.pk).custom["budget"]) == "42"
