"""The list and record pages run a fixed number of queries, whatever the number of rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.contacts import related_services
from tests.contacts.factories import make_company, make_contact


def _seed(cast, acting, n):
    companies = [make_company(cast.owner, cast.workspace, tags=["Key"]) for _ in range(3)]
    contacts = []
    for i in range(n):
        contacts.append(
            make_contact(
                cast.owner,
                cast.workspace,
                company=companies[i % 3],
                tags=["VIP", "Fair"],
                emails=[f"p{i}@example.com"],
                phones=["+14155550100"],
            )
        )
    with acting(cast.owner, cast.workspace) as actor:
        for other in contacts[1:]:
            related_services.relationship_add(
                actor=actor, from_contact=contacts[0], to_contact=other, kind="colleague_of"
            )
            related_services.contact_role_add(actor=actor, contact=contacts[0], company=companies[0], role="user")
            related_services.contact_record_consent(actor=actor, contact=contacts[0], status="opted_in", source="x")
            break
    return contacts


def _count(client, url, params=None):
    client.get(url, params or {})  # warm the per-process caches (content types, templates)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_contact_list_query_count_does_not_grow_with_rows(cast, acting, login, django_assert_max_num_queries):
    _seed(cast, acting, 5)
    client = login(cast.sales)
    url = reverse("contacts:contact_list")
    few = _count(client, url, {"columns": "name,email,phone,company,owner,lifecycle_stage,tags,created_at"})
    _seed(cast, acting, 55)
    many = _count(client, url, {"columns": "name,email,phone,company,owner,lifecycle_stage,tags,created_at"})
    assert few == many
    with django_assert_max_num_queries(many + 1):  # + the lookup of the tag named in the filter
        client.get(url, {"filter": ["tags:has:vip", "owner:eq:me"]})


def test_contact_record_page_query_count_does_not_grow(cast, acting, login):
    small = _seed(cast, acting, 2)[0]
    big = _seed(cast, acting, 60)[0]
    with acting(cast.owner, cast.workspace) as actor:
        for other in _seed(cast, acting, 5)[1:]:
            related_services.relationship_add(actor=actor, from_contact=big, to_contact=other, kind="reports_to")
    client = login(cast.owner)
    assert _count(client, reverse("contacts:contact_detail", args=[small.pk])) == _count(
        client, reverse("contacts:contact_detail", args=[big.pk])
    )


def test_company_page_and_list_query_counts_do_not_grow(cast, acting, login):
    contacts = _seed(cast, acting, 5)
    client = login(cast.owner)
    company = contacts[0].company
    detail = reverse("contacts:company_detail", args=[company.pk])
    before = (_count(client, reverse("contacts:company_list")), _count(client, detail))
    _seed(cast, acting, 60)
    for _ in range(4):
        make_company(cast.owner, cast.workspace, parent=company, tags=["Sub"])
    after = (_count(client, reverse("contacts:company_list")), _count(client, detail))
    assert before == after
