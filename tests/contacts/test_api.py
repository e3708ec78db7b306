import pytest
from django.urls import reverse

from rapport.contacts.models import Contact
from rapport.core.scoping import workspace_scope
from tests.contacts.factories import make_company, make_contact

LIST = reverse("contacts_api:contact-list")


def _detail(pk):
    return reverse("contacts_api:contact-detail", kwargs={"pk": pk})


def test_create_read_update_delete_a_contact_with_nested_rows(cast, login):
    client = login(cast.sales)
    acme = make_company(cast.sales, cast.workspace, name="Acme")
    created = client.post(
        LIST,
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": acme.pk,
            "lifecycle_stage": "lead",
            "emails": [{"email": "ADA@acme.example"}, {"email": "ada@home.example", "label": "personal"}],
            "phones": [{"number": "+1 (555) 010-2030", "label": "mobile"}],
            "addresses": [{"city": "London", "country": "GB"}],
            "tags": ["VIP"],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["emails"][0] == {"email": "ada@acme.example", "label": "work", "is_primary": True}
    assert body["phones"][0]["number"] == "+15550102030"
    assert body["tags"] == ["VIP"] and body["company"] == acme.pk
    assert created["ETag"] == '"1"'
    url = _detail(body["id"])
    patched = client.patch(
        url,
        {"job_title": "Countess", "emails": [{"email": "ada@new.example"}]},
        content_type="application/json",
        headers={"If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["primary_email"] == "ada@new.example"
    assert patched["ETag"] == '"2"'
    assert client.get(url).json()["job_title"] == "Countess"
    assert client.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert client.get(url).status_code == 404


def test_a_stale_if_match_is_412_and_writes_nothing(cast, login):
    contact = make_contact(cast.owner, cast.workspace, first_name="Etag")
    client = login(cast.owner)
    response = client.patch(
        _detail(contact.pk), {"first_name": "Late"}, content_type="application/json", headers={"If-Match": '"7"'}
    )
    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.get(pk=contact.pk).first_name == "Etag"


def test_bad_values_are_field_errors_in_problem_json(cast, login):
    response = login(cast.owner).post(
        LIST,
        {
            "first_name": "Bad",
            "emails": [{"email": "nope"}],
            "phones": [{"number": "12"}],
            "addresses": [{"country": "XX"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    fields = {e["field"]: e["detail"] for e in response.json()["errors"]}
    assert "name@example.com" in fields["emails.0.email"]
    assert "phone number like" in fields["phones.0.number"]
    assert "ISO 3166" in fields["addresses.0.country"]
    with workspace_scope(cast.workspace.pk):
        assert not Contact.objects.filter(first_name="Bad").exists()


def test_company_with_a_bad_website_currency_or_phone_is_refused(cast, login):
    response = login(cast.owner).post(
        reverse("contacts_api:company-list"),
        {
            "name": "Bad Co",
            "website": "ftp://bad.example",
            "annual_revenue": "1000",
            "revenue_currency": "EUX",
            "phone": "abc",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"website", "revenue_currency", "phone"} <= fields


def test_list_filters_and_orders_with_the_shared_language(cast, login):
    make_contact(cast.owner, cast.workspace, first_name="Zoe", lifecycle_stage="customer", tags=["VIP"])
    make_contact(cast.owner, cast.workspace, first_name="Adam", lifecycle_stage="customer")
    make_contact(cast.owner, cast.workspace, first_name="Lead", lifecycle_stage="lead")
    client = login(cast.owner)
    rows = client.get(LIST, {"filter": "lifecycle_stage:eq:customer", "ordering": "first_name"}).json()["results"]
    assert [r["first_name"] for r in rows] == ["Adam", "Zoe"]
    rows = client.get(
        LIST, {"filter": ["tags:has:vip", "first_name:eq:lead"], "logic": "or", "ordering": "-first_name"}
    ).json()["results"]
    assert [r["first_name"] for r in rows] == ["Zoe", "Lead"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter": "shoe_size:eq:1"}, "shoe_size"),
        ({"filter": "first_name:between:a"}, "between"),
        ({"ordering": "shoe_size"}, "shoe_size"),
    ],
)
def test_unknown_filter_fields_and_operators_are_400_naming_them(cast, login, params, named):
    response = login(cast.owner).get(LIST, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert named in response.json()["errors"][0]["detail"]


def test_cursor_pages_through_the_api_without_repeats(cast, login):
    for i in range(7):
        make_contact(cast.owner, cast.workspace, first_name=f"P{i}")
    client = login(cast.owner)
    seen, url = [], f"{LIST}?page_size=3&ordering=first_name"
    while url:
        page = client.get(url).json()
        seen += [r["first_name"] for r in page["results"]]
        url = page["next"]
    assert seen == [f"P{i}" for i in range(7)]


def test_bulk_create_is_all_or_nothing_with_per_item_errors(cast, login):
    client = login(cast.owner)
    url = reverse("contacts_api:contact-bulk")
    response = client.post(
        url,
        {
            "items": [
                {"first_name": "Ok"},
                {"first_name": "Bad", "emails": [{"email": "x"}]},
                {"last_name": ""},
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {(1, "emails.0.email"), (2, "first_name")}
    with workspace_scope(cast.workspace.pk):
        assert not Contact.objects.exists()
    response = client.post(url, {"items": [{"first_name": f"N{i}"} for i in range(5)]}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["count"] == 5


def test_bulk_update_refuses_records_the_rep_cannot_change(cast, login):
    mine = make_contact(cast.sales, cast.workspace, first_name="Mine")
    theirs = make_contact(cast.sales_west, cast.workspace, first_name="Theirs")
    response = login(cast.sales).patch(
        reverse("contacts_api:contact-bulk"),
        {
            "items": [
                {"id": mine.pk, "lifecycle_stage": "customer"},
                {"id": theirs.pk, "lifecycle_stage": "customer"},
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 1
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.get(pk=mine.pk).lifecycle_stage == "lead"


def test_bulk_is_limited_to_1000_items(cast, login):
    response = login(cast.owner).post(
        reverse("contacts_api:contact-bulk"), {"items": [{"first_name": "x"}] * 1001}, content_type="application/json"
    )
    assert response.status_code == 400


def test_tags_api_lets_reps_create_and_only_admins_rename(cast, login):
    created = login(cast.sales).post(
        reverse("contacts_api:tag-list"), {"name": "Hot", "colour": "red"}, content_type="application/json"
    )
    assert created.status_code == 201
    url = reverse("contacts_api:tag-detail", kwargs={"pk": created.json()["id"]})
    assert login(cast.sales).patch(url, {"name": "Warm"}, content_type="application/json").status_code == 403
    assert login(cast.admin).patch(url, {"name": "Warm"}, content_type="application/json").status_code == 200


def test_other_workspaces_records_are_404(cast, login):
    foreign = make_contact(cast.outsider, cast.other_workspace, first_name="Foreign")
    assert login(cast.owner).get(_detail(foreign.pk)).status_code == 404


def test_schema_documents_the_contact_endpoints(cast, login):
    schema = login(cast.owner).get(reverse("api:schema"), {"format": "json"}).json()
    assert "/api/v1/contacts/" in schema["paths"]
    assert "/api/v1/contacts/bulk/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/contacts/"]["get"]["parameters"]}
    assert {"filter", "logic", "ordering", "cursor"} <= params
