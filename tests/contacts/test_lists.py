import datetime as dt

import pytest
from django.urls import reverse

from rapport.contacts import selectors
from rapport.contacts.listing import FilterError
from rapport.contacts.models import Contact
from rapport.core.scoping import workspace_scope
from tests.contacts.factories import make_company, make_contact


def _names(actor, **kwargs):
    spec = selectors.list_spec("contact", actor)
    query = selectors.ListQuery.parse(spec, **kwargs)
    return [c.first_name for c in selectors.contact_list(actor, query).page.rows]


def test_filters_combine_with_and_by_default_and_with_or_on_request(cast, acting):
    make_contact(cast.owner, cast.workspace, first_name="Cust", lifecycle_stage="customer")
    make_contact(cast.sales, cast.workspace, first_name="Lead", lifecycle_stage="lead")
    make_contact(cast.sales, cast.workspace, first_name="Both", lifecycle_stage="customer")
    with acting(cast.owner, cast.workspace) as actor:
        owner_filter = f"owner:eq:{cast.sales.pk}"
        both = _names(actor, filters=["lifecycle_stage:eq:customer", owner_filter], sort="first_name")
        either = _names(actor, filters=["lifecycle_stage:eq:customer", owner_filter], logic="or", sort="first_name")
    assert both == ["Both"]
    assert either == ["Both", "Cust", "Lead"]


def test_owner_me_means_the_acting_user(cast, acting):
    make_contact(cast.sales, cast.workspace, first_name="Mine")
    make_contact(cast.sales_peer, cast.workspace, first_name="Peer")
    with acting(cast.sales, cast.workspace) as actor:
        assert _names(actor, filters=["owner:eq:me"]) == ["Mine"]


def test_filters_by_tag_email_phone_company_and_date(cast, acting):
    acme = make_company(cast.owner, cast.workspace, name="Acme")
    make_contact(
        cast.owner,
        cast.workspace,
        first_name="Tagged",
        tags=["VIP"],
        company=acme,
        emails=["t@acme.example"],
        phones=["+1 (555) 010-2030"],
        birthday=dt.date(1990, 5, 1),
    )
    make_contact(cast.owner, cast.workspace, first_name="Plain")
    with acting(cast.owner, cast.workspace) as actor:
        assert _names(actor, filters=["tags:has:vip"]) == ["Tagged"]
        assert _names(actor, filters=["tags:is_empty"]) == ["Plain"]
        assert _names(actor, filters=["email:endswith:@acme.example"]) == ["Tagged"]
        assert _names(actor, filters=["phone:contains:5550102030"]) == ["Tagged"]
        assert _names(actor, filters=[f"company:eq:{acme.pk}"]) == ["Tagged"]
        assert _names(actor, filters=["company:contains:acm"]) == ["Tagged"]
        assert _names(actor, filters=["birthday:lt:2000-01-01"]) == ["Tagged"]


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        ("shoe_size:eq:42", "shoe_size", "Unknown field"),
        ("lifecycle_stage:gt:lead", "lifecycle_stage", "Unknown operator “gt”"),
        ("lifecycle_stage:eq:royalty", "lifecycle_stage", "not a choice"),
        ("birthday:lt:yesterday", "birthday", "not a date"),
        ("tags:has:nosuchtag", "tags", "no tag named"),
        ("owner", "owner", "field:operator:value"),
    ],
)
def test_bad_filters_name_the_field_and_say_what_is_wrong(cast, acting, raw, field, fragment):
    with acting(cast.owner, cast.workspace) as actor, pytest.raises(FilterError) as info:
        _names(actor, filters=[raw])
    assert info.value.field == field
    assert fragment in info.value.detail


@pytest.mark.parametrize("sort", ["-created_at", "name", "-name", "company", "email", "birthday", "-birthday", "owner"])
def test_cursor_pages_neither_repeat_nor_skip_rows(cast, acting, sort):
    acme = make_company(cast.owner, cast.workspace, name="Acme")
    for i in range(23):
        make_contact(
            cast.owner,
            cast.workspace,
            first_name=f"P{i:02}",
            last_name=["Smith", "Jones", "Brown"][i % 3],
            company=acme if i % 2 else None,
            birthday=dt.date(1980, 1, 1 + i % 4) if i % 5 else None,
            emails=[f"p{i % 7}@example.com"],
        )
    with acting(cast.owner, cast.workspace) as actor:
        spec = selectors.list_spec("contact", actor)
        seen, cursor = [], None
        for _ in range(10):
            query = selectors.ListQuery.parse(spec, sort=sort, cursor=cursor, size=5)
            page = selectors.contact_list(actor, query).page
            seen += [c.pk for c in page.rows]
            cursor = page.next_cursor
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 23
        assert set(seen) == set(Contact.objects.values_list("pk", flat=True))


def test_a_cursor_from_another_sort_is_refused(cast, acting):
    for _ in range(3):
        make_contact(cast.owner, cast.workspace)
    with acting(cast.owner, cast.workspace) as actor:
        spec = selectors.list_spec("contact", actor)
        page = selectors.contact_list(actor, selectors.ListQuery.parse(spec, size=1)).page
        with pytest.raises(FilterError) as info:
            selectors.contact_list(actor, selectors.ListQuery.parse(spec, sort="name", cursor=page.next_cursor, size=1))
    assert info.value.param == "cursor"


def test_count_is_exact_below_the_cap_and_capped_above(cast, acting, monkeypatch):
    for _ in range(4):
        make_contact(cast.owner, cast.workspace)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    with acting(cast.owner, cast.workspace) as actor:
        spec = selectors.list_spec("contact", actor)
        result = selectors.contact_list(actor, selectors.ListQuery.parse(spec))
        assert (result.count, result.exact, result.count_label) == (3, False, "3+")
        result = selectors.contact_list(
            actor, selectors.ListQuery.parse(spec, filters=["first_name:is_not_empty"], size=2)
        )
        assert result.count == 3


def test_list_page_shows_1000_plus_instead_of_counting_everything(cast, login, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_contact(cast.owner, cast.workspace)
    body = login(cast.owner).get(reverse("contacts:contact_list")).content.decode()
    assert "2+ contacts" in body


def test_column_choice_and_order_come_from_the_query(cast, login):
    make_contact(cast.owner, cast.workspace, first_name="Col", job_title="Pilot")
    body = login(cast.owner).get(reverse("contacts:contact_list"), {"columns": "job_title,name"}).content.decode()
    head = body[body.index("<thead>") : body.index("</thead>")]
    assert head.index("Job title") < head.index("Name")
    assert "Email" not in head
    assert "Pilot" in body


def test_sorting_by_a_column_from_the_page(cast, login):
    make_contact(cast.owner, cast.workspace, first_name="Zed", last_name="Zulu")
    make_contact(cast.owner, cast.workspace, first_name="Abe", last_name="Alpha")
    body = login(cast.owner).get(reverse("contacts:contact_list"), {"sort": "name"}).content.decode()
    assert body.index("Abe Alpha") < body.index("Zed Zulu")
    body = login(cast.owner).get(reverse("contacts:contact_list"), {"sort": "-name"}).content.decode()
    assert body.index("Zed Zulu") < body.index("Abe Alpha")


def test_add_filter_form_is_folded_into_one_filter_parameter(cast, login):
    response = login(cast.owner).get(
        reverse("contacts:contact_list"), {"f_field": "lifecycle_stage", "f_op": "eq", "f_value": "customer"}
    )
    assert response.status_code == 302
    assert "filter=lifecycle_stage%3Aeq%3Acustomer" in response["Location"]


def test_company_list_filters_by_domain_and_industry(cast, acting):
    make_company(cast.owner, cast.workspace, name="Soft", industry="software", domains=["soft.example"])
    make_company(cast.owner, cast.workspace, name="Farm", industry="agriculture")
    with acting(cast.owner, cast.workspace) as actor:
        spec = selectors.list_spec("company", actor)
        rows = selectors.company_list(
            actor, selectors.ListQuery.parse(spec, filters=["domain:eq:soft.example"])
        ).page.rows
        assert [c.name for c in rows] == ["Soft"]
        rows = selectors.company_list(
            actor, selectors.ListQuery.parse(spec, filters=["industry:in:software,agriculture"], sort="name")
        ).page.rows
        assert [c.name for c in rows] == ["Farm", "Soft"]


def test_filtering_respects_visibility(cast, acting):
    make_contact(cast.sales_west, cast.workspace, first_name="West", lifecycle_stage="customer")
    with acting(cast.sales, cast.workspace) as actor:
        assert _names(actor, filters=["lifecycle_stage:eq:customer"]) == []
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.filter(first_name="West").exists()


def test_a_count_over_its_time_budget_is_abandoned_not_waited_for(cast, acting, monkeypatch):
    for _ in range(3):
        make_contact(cast.owner, cast.workspace)
    monkeypatch.setattr(selectors, "COUNT_BUDGET_MS", 0)
    with acting(cast.owner, cast.workspace) as actor:
        spec = selectors.list_spec("contact", actor)
        result = selectors.contact_list(actor, selectors.ListQuery.parse(spec, size=2))
        assert result.count is None
        assert result.count_label == "2+"
        assert len(result.page.rows) == 2


def test_the_count_time_budget_interrupts_a_slow_statement(db):
    from django.db import DatabaseError, connection, transaction

    from rapport.contacts.listing import _time_budget

    slow = (
        "SELECT pg_sleep(0.5)"
        if connection.vendor == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) SELECT count(*) FROM n"
    )
    with pytest.raises(DatabaseError), transaction.atomic(), _time_budget(connection, 10), connection.cursor() as cur:
        cur.execute(slow)
    with connection.cursor() as cursor:  # the connection is usable afterwards
        cursor.execute("SELECT 1")
