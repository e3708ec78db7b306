"""Fixed query budgets: the timeline, an activity's page and the API lists do not grow with the data."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.activities.factories import make_activity, make_failed_email, make_task
from tests.contacts.factories import make_company, make_contact


def count(client, url, **extra) -> int:
    client.get(url, **extra)  # warm caches (content types, templates)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **extra).status_code == 200
    return len(queries)


def grow(cast, contact, company, n):
    for _ in range(n):
        activity = make_activity(cast.sales, cast.workspace, kind="note", target=contact)
        activity.links.create(
            workspace=cast.workspace,
            target_type="contacts.company",
            target_id=company.pk,
            occurred_at=activity.occurred_at,
            kind="note",
        )
        task = make_task(cast.sales, cast.workspace)
        task.activity.links.create(
            workspace=cast.workspace,
            target_type="contacts.contact",
            target_id=contact.pk,
            occurred_at=task.activity.occurred_at,
            kind="task",
        )
        make_failed_email(cast.sales, cast.workspace, contact)


def test_timelines_and_api_lists_run_as_many_queries_at_3n_as_at_n(cast, login):
    company = make_company(cast.sales, cast.workspace)
    contact = make_contact(cast.sales, cast.workspace, company=company)
    client = login(cast.sales)
    urls = [
        reverse("contacts:contact_detail", args=[contact.pk]),
        reverse("contacts:company_detail", args=[company.pk]),
        reverse("activities:timeline", args=["contacts.contact", contact.pk]),
        reverse("activities:my_tasks"),
        "/api/v1/activities/",
        f"/api/v1/activities/?target_type=contacts.contact&target_id={contact.pk}",
        reverse("activities:calendar"),
        "/api/v1/notes/",
        "/api/v1/tasks/",
    ]
    grow(cast, contact, company, 2)
    before = {url: count(client, url) for url in urls}
    grow(cast, contact, company, 6)
    after = {url: count(client, url) for url in urls}
    assert after == before


def test_an_activity_page_reads_its_records_in_one_query_per_type(cast, login):

    contacts = [make_contact(cast.sales, cast.workspace) for _ in range(6)]
    call = make_activity(cast.sales, cast.workspace, kind="call", target=contacts[0])
    client = login(cast.sales)
    url = reverse("activities:activity_detail", args=[call.pk])
    before = count(client, url)
    for person in contacts[1:]:
        call.links.create(
            workspace=cast.workspace,
            target_type="contacts.contact",
            target_id=person.pk,
            occurred_at=call.occurred_at,
            kind="call",
        )
    html = client.get(url).content.decode()
    assert all(str(person) in html for person in contacts)
    assert count(client, url) == before
