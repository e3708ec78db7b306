"""Isolation: a private note never reaches another rep, nor anyone in another workspace (HTML, API, search)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.activities.models import Comment
from tests.activities.factories import make_activity, make_task
from tests.contacts.factories import make_company, make_contact

SECRET = "Zanzibar-discount-7731"


@pytest.fixture
def shared(cast):
    """A company and a contact of the sales rep, visible to the whole East team."""
    company = make_company(cast.sales, cast.workspace, name="Shared Co")
    return make_contact(cast.sales, cast.workspace, first_name="Shared", company=company)


@pytest.fixture
def secret(cast, shared):
    note = make_activity(
        cast.sales,
        cast.workspace,
        kind="note",
        subject="Private plan",
        body=f"<p>{SECRET}</p>",
        target=shared,
        is_private=True,
    )
    note.links.create(
        workspace=cast.workspace,
        target_type="contacts.company",
        target_id=shared.company_id,
        occurred_at=note.occurred_at,
        kind="note",
    )
    return note


def pages(record, note):
    return [
        reverse("contacts:contact_detail", args=[record.pk]),
        reverse("contacts:company_detail", args=[record.company_id]),
        reverse("activities:timeline", args=["contacts.contact", record.pk]),
        reverse("activities:timeline", args=["contacts.company", record.company_id]),
        reverse("activities:timeline", args=["contacts.contact", record.pk]) + "?kind=note",
    ]


def test_the_author_sees_a_private_note_everywhere(cast, login, shared, secret):
    client = login(cast.sales)
    for url in pages(shared, secret):
        assert SECRET in client.get(url).content.decode(), url
    assert client.get(reverse("activities:activity_detail", args=[secret.pk])).status_code == 200


@pytest.mark.parametrize("who", ["sales_peer", "manager", "admin", "owner"])
def test_nobody_else_in_the_workspace_sees_a_private_note_in_html(cast, login, shared, secret, who):
    client = login(getattr(cast, who))
    for url in pages(shared, secret):
        response = client.get(url)
        assert response.status_code == 200, url  # they see the record, not the note
        assert SECRET not in response.content.decode() and "Private plan" not in response.content.decode(), url
    assert client.get(reverse("activities:activity_detail", args=[secret.pk])).status_code == 404
    assert client.get(reverse("activities:activity_edit", args=[secret.pk])).status_code == 404
    assert client.post(reverse("activities:activity_pin", args=[secret.pk]), {"pinned": "1"}).status_code == 404
    assert client.post(reverse("activities:activity_detail", args=[secret.pk]), {"body": "hi"}).status_code == 404
    assert client.post(reverse("activities:activity_delete", args=[secret.pk])).status_code == 404
    secret.refresh_from_db()
    assert not secret.is_pinned and secret.deleted_at is None and not Comment.objects.exists()


def test_a_pinned_private_note_stays_off_other_timelines(cast, login, shared, secret):
    type(secret).objects.filter(pk=secret.pk).update(is_pinned=True)
    html = login(cast.sales_peer).get(reverse("contacts:contact_detail", args=[shared.pk])).content.decode()
    assert SECRET not in html


@pytest.mark.parametrize("who", ["sales_peer", "owner"])
def test_nobody_else_sees_a_private_note_in_the_api(cast, as_token, shared, secret, who):
    client = as_token(getattr(cast, who))
    for url in (
        "/api/v1/activities/",
        "/api/v1/notes/",
        f"/api/v1/activities/?target_type=contacts.contact&target_id={shared.pk}",
        f"/api/v1/notes/?target_type=contacts.company&target_id={shared.company_id}",
        "/api/v1/activities/?kind=note",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url
    for url in (f"/api/v1/activities/{secret.pk}/", f"/api/v1/notes/{secret.pk}/"):
        assert client.get(url).status_code == 404
        assert client.patch(url, {"subject": "x"}, format="json").status_code == 404
        assert client.delete(url).status_code == 404


def test_the_author_reads_a_private_note_in_the_api(cast, as_token, secret):
    body = as_token(cast.sales).get(f"/api/v1/notes/{secret.pk}/").json()
    assert body["is_private"] is True and SECRET in body["body"]


def test_search_never_shows_a_private_note_to_another_rep(cast, login, secret):
    client = login(cast.sales_peer)
    for url in (reverse("core:search"), "/api/v1/search/"):
        response = client.get(url, {"q": SECRET[:12]})
        assert response.status_code == 200
        assert SECRET not in response.content.decode(), url


def test_another_workspace_sees_none_of_our_activities(cast, login, as_token, shared, secret):
    public = make_activity(cast.sales, cast.workspace, kind="call", subject="Acme-only call", target=shared)
    task = make_task(cast.sales, cast.workspace, title="Acme-only task")
    client = login(cast.outsider)
    for url in (
        reverse("activities:activity_detail", args=[public.pk]),
        reverse("activities:activity_detail", args=[secret.pk]),
        reverse("activities:timeline", args=["contacts.contact", shared.pk]),
        reverse("activities:email_compose", args=[shared.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("activities:task_complete", args=[task.pk])).status_code == 404
    for url in (reverse("activities:my_tasks"), reverse("activities:calendar"), reverse("activities:notifications")):
        assert "Acme-only" not in client.get(url).content.decode()
    api = as_token(cast.outsider, workspace=cast.other_workspace)
    listed = api.get("/api/v1/activities/").content.decode() + api.get("/api/v1/tasks/").content.decode()
    assert "Acme-only" not in listed and SECRET not in listed
    assert api.get(f"/api/v1/activities/{public.pk}/").status_code == 404
    assert api.get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    response = api.post(
        "/api/v1/notes/", {"body": "x", "targets": [{"type": "contacts.contact", "id": shared.pk}]}, format="json"
    )
    assert response.status_code == 404


def test_a_rep_of_another_team_sees_no_activity_of_a_record_they_cannot_see(cast, login, shared):
    call = make_activity(cast.sales, cast.workspace, kind="call", subject="East call", target=shared)
    client = login(cast.sales_west)
    assert client.get(reverse("activities:activity_detail", args=[call.pk])).status_code == 404
    assert client.get(reverse("activities:timeline", args=["contacts.contact", shared.pk])).status_code == 404


def test_an_activity_page_names_only_the_records_the_reader_may_see(cast, login, shared):
    hidden = make_contact(cast.sales_west, cast.workspace, first_name="Westonly", last_name="Person")
    call = make_activity(cast.sales, cast.workspace, kind="call", subject="Joint call", target=shared)
    call.links.create(
        workspace=cast.workspace,
        target_type="contacts.contact",
        target_id=hidden.pk,
        occurred_at=call.occurred_at,
        kind="call",
    )
    html = login(cast.sales_peer).get(reverse("activities:activity_detail", args=[call.pk])).content.decode()
    assert "Shared" in html and "Westonly" not in html
