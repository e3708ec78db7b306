"""The deal table: the contacts list engine serving deals (columns, filters, views, bulk, inline edit, export)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.contacts.models import SavedView
from rapport.core.scoping import workspace_scope
from rapport.customfields import services as cf_services
from rapport.sales.models import Deal, DealStatus
from rapport.tags.services import current_tags
from tests.contacts.factories import make_company
from tests.sales.factories import DealFactory

URL = "sales:deal_list"


def _names(response) -> list[str]:
    return [row["record"].name for row in response.context["rows"]]


def test_columns_sort_and_filters_with_and_or(cast, login, pipeline, stages):
    DealFactory(pipeline=pipeline, owner=cast.sales, name="Small open", amount=Decimal("100"))
    DealFactory(pipeline=pipeline, owner=cast.sales, name="Big open", amount=Decimal("9000"))
    DealFactory(pipeline=pipeline, owner=cast.sales, name="Small won", amount=Decimal("50"), status=DealStatus.WON)
    client = login(cast.sales)
    page = client.get(reverse(URL), {"columns": "name,amount,stage,status", "sort": "-amount"})
    assert page.status_code == 200
    assert _names(page) == ["Big open", "Small open", "Small won"]
    assert [c.key for c in page.context["columns"]] == ["name", "amount", "stage", "status"]
    body = page.content.decode()
    assert "Qualified" in body and "9,000" in body
    both = client.get(reverse(URL), {"filter": ["amount:lt:500", "status:eq:open"], "sort": "name"})
    assert _names(both) == ["Small open"]
    either = client.get(reverse(URL), {"filter": ["amount:gt:5000", "status:eq:won"], "logic": "or", "sort": "name"})
    assert _names(either) == ["Big open", "Small won"]
    bad = client.get(reverse(URL), {"filter": "colour:eq:red"})
    assert bad.status_code == 400
    assert "Unknown field “colour”" in bad.content.decode()


def test_custom_fields_are_columns_filters_and_sort_keys(cast, acting, login, pipeline):
    with acting(cast.owner, cast.workspace) as actor:
        cf_services.definition_create(
            actor=actor, record_type="sales.deal", data={"key": "region", "label": "Region", "field_type": "text"}
        )
    DealFactory(pipeline=pipeline, owner=cast.sales, name="North deal", custom={"region": "North"})
    DealFactory(pipeline=pipeline, owner=cast.sales, name="South deal", custom={"region": "South"})
    client = login(cast.sales)
    page = client.get(reverse(URL), {"columns": "name,custom.region", "filter": "custom.region:eq:South"})
    assert _names(page) == ["South deal"]
    assert "Region" in page.content.decode()
    ordered = client.get(reverse(URL), {"sort": "-custom.region"})
    assert _names(ordered)[:2] == ["South deal", "North deal"]


def test_board_links_become_filters(cast, login, pipeline):
    response = login(cast.sales).get(reverse(URL), {"pipeline": pipeline.pk, "status": "open"})
    assert response.status_code == 302
    assert f"filter=pipeline%3Aeq%3A{pipeline.pk}" in response["Location"]
    assert "filter=status%3Aeq%3Aopen" in response["Location"]


def test_a_saved_deal_view_keeps_columns_filters_and_sort(cast, login, pipeline):
    DealFactory(pipeline=pipeline, owner=cast.sales, name="Won one", status=DealStatus.WON)
    DealFactory(pipeline=pipeline, owner=cast.sales, name="Open one")
    client = login(cast.sales)
    saved = client.post(
        reverse("sales:deal_view_save"),
        {"name": "Won deals", "columns": "name,amount", "filter": "status:eq:won", "sort": "name", "logic": "and"},
    )
    assert saved.status_code == 302
    with workspace_scope(cast.workspace.pk):
        view = SavedView.objects.get(name="Won deals")
    assert view.record_type == "deal"
    assert saved["Location"] == f"{reverse(URL)}?view={view.pk}"
    page = client.get(reverse(URL), {"view": view.pk})
    assert _names(page) == ["Won one"]
    assert "Won deals" in page.content.decode()
    refused = client.post(reverse("sales:deal_view_save"), {"name": "Bad", "filter": "nope:eq:1"})
    assert refused.status_code == 302
    with workspace_scope(cast.workspace.pk):
        assert not SavedView.objects.filter(name="Bad").exists()


def test_bulk_owner_and_tags_on_selected_deals(cast, login, pipeline):
    first = DealFactory(pipeline=pipeline, owner=cast.sales, name="Bulk A")
    second = DealFactory(pipeline=pipeline, owner=cast.sales, name="Bulk B")
    client = login(cast.manager)
    tagged = client.post(
        reverse("sales:deal_bulk"), {"ids": [first.pk, second.pk], "action": "add_tags", "value": "Q4"}
    )
    assert tagged.status_code == 302
    moved = client.post(
        reverse("sales:deal_bulk"), {"ids": [first.pk, second.pk], "action": "owner", "owner": cast.manager.pk}
    )
    assert moved.status_code == 302
    refused = client.post(reverse("sales:deal_bulk"), {"ids": [first.pk], "action": "lifecycle_stage", "value": "x"})
    assert refused.status_code == 302
    with workspace_scope(cast.workspace.pk):
        deals = list(Deal.objects.filter(pk__in=[first.pk, second.pk]))
        assert {d.owner_id for d in deals} == {cast.manager.pk}
        assert all([t.name for t in current_tags(d)] == ["Q4"] for d in deals)
    page = client.get(reverse(URL), {"filter": "tags:has:Q4"})
    assert sorted(_names(page)) == ["Bulk A", "Bulk B"]


def test_inline_edit_of_a_deal_cell_checks_the_version_and_the_value(cast, login, deal):
    client = login(cast.sales)
    htmx = {"HX-Request": "true"}
    url = reverse("sales:deal_cell", args=[deal.pk, "next_step"])
    form = client.get(url, headers=htmx).content.decode()
    assert 'name="version"' in form and "<html" not in form
    saved = client.post(url, {"value": "Call the CFO", "version": deal.version}, headers=htmx)
    assert saved.status_code == 200 and "Call the CFO" in saved.content.decode()
    stale = client.post(url, {"value": "Too late", "version": deal.version}, headers=htmx)
    assert "Someone changed this deal" in stale.content.decode()
    bad_date = client.post(
        reverse("sales:deal_cell", args=[deal.pk, "expected_close_date"]),
        {"value": "next tuesday", "version": deal.version + 1},
        headers=htmx,
    )
    assert "Enter a valid date" in bad_date.content.decode()
    with workspace_scope(cast.workspace.pk):
        fresh = Deal.objects.get(pk=deal.pk)
    assert fresh.next_step == "Call the CFO" and fresh.expected_close_date is None
    plain = client.get(reverse("sales:deal_cell_show", args=[deal.pk, "next_step"]))
    assert plain.status_code == 302 and plain["Location"] == reverse("sales:deal_detail", args=[deal.pk])


def test_inline_owner_must_be_a_member(cast, login, deal):
    url = reverse("sales:deal_cell", args=[deal.pk, "owner"])
    response = login(cast.sales).post(url, {"value": str(cast.manager.pk), "version": deal.version})
    assert response.status_code == 302
    with workspace_scope(cast.workspace.pk):
        assert Deal.objects.get(pk=deal.pk).owner_id == cast.manager.pk


def test_export_streams_the_filtered_deals(cast, login, pipeline):
    company = make_company(cast.owner, cast.workspace, name="Exported Co")
    DealFactory(pipeline=pipeline, owner=cast.manager, name="=cmd|evil", company=company, amount=Decimal("5"))
    DealFactory(pipeline=pipeline, owner=cast.manager, name="Not exported", amount=Decimal("5000"))
    response = login(cast.manager).get(
        reverse("sales:deal_export"), {"filter": "amount:lt:100", "columns": "name,company,amount"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["id", "Name", "Company", "Amount"]
    assert [r[1:3] for r in rows[1:]] == [["'=cmd|evil", "Exported Co"]]
    bad = login(cast.manager).get(reverse("sales:deal_export"), {"filter": "amount:near:1"})
    assert bad.status_code == 400 and "amount" in bad.content.decode()


def test_the_table_runs_a_fixed_number_of_queries(cast, login, pipeline):
    company = make_company(cast.owner, cast.workspace, name="Budget Co")
    client = login(cast.owner)
    params = {"columns": "name,company,pipeline,stage,status,amount,owner,tags,lost_reason"}

    def count() -> int:
        client.get(reverse(URL), params)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(URL), params).status_code == 200
        return len(ctx.captured_queries)

    DealFactory(pipeline=pipeline, owner=cast.sales, company=company)
    few = count()
    for _ in range(25):
        DealFactory(pipeline=pipeline, owner=cast.sales, company=company)
    assert count() == few
