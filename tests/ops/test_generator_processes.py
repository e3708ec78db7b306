"""The generator on several processes (PostgreSQL) makes the same data as on one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from rapport.activities.models import Activity
from rapport.contacts.models import Company, Contact
from rapport.core.demo import ensure_demo_workspace, run_demo_loaders
from rapport.core.models import RecordHistory
from rapport.core.scoping import unscoped, workspace_scope
from rapport.ops.generator import Generator, Plan
from rapport.sales.models import Deal, DealContact
from rapport.search.models import SearchEntry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="several processes write on PostgreSQL only"),
]


def _newest(model) -> int:
    return model.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _run(workspace, processes: int) -> tuple[dict, dict]:
    before = {model: _newest(model) for model in (Company, Contact, Deal, Activity)}
    plan = Plan(contacts=400, seed=11, as_of=dt.date(2026, 6, 1), chunk=60, threaded=True, processes=processes)
    generator = Generator(workspace, plan, log=lambda _m: None)
    counts = generator.run()
    assert generator.processes == processes
    with workspace_scope(workspace.pk):
        people = Contact.objects.filter(pk__gt=before[Contact]).order_by("pk")
        deals = Deal.objects.filter(pk__gt=before[Deal]).order_by("pk")
        activities = Activity.objects.filter(pk__gt=before[Activity]).order_by("pk")
        companies = Company.objects.filter(pk__gt=before[Company]).order_by("pk")
        data = {
            "companies": list(companies.values_list("name", "industry", "created_at", "owner_id")),
            "people": list(
                people.values_list("first_name", "last_name", "job_title", "lifecycle_stage", "created_at", "owner_id")
            ),
            # which company (by rank in this run) each person and deal belongs to
            "employers": [c - before[Company] if c else None for c in people.values_list("company_id", flat=True)],
            "deals": list(deals.values_list("name", "status", "amount", "stage_id", "created_at", "closed_at")),
            "deal people": [
                (d - before[Deal], c - before[Contact])
                for d, c in DealContact.objects.filter(deal_id__gt=before[Deal]).values_list("deal_id", "contact_id")
            ],
            "activities": list(activities.values_list("kind", "subject", "occurred_at", "call_outcome")),
        }
        contact_type = ContentType.objects.get_for_model(Contact)
        written = {
            "history": RecordHistory.objects.filter(
                content_type=contact_type, object_id__gt=before[Contact], action="create"
            ).count(),
            "search": SearchEntry.objects.filter(content_type=contact_type, object_id__gt=before[Contact]).count(),
        }
    data["deal people"].sort()
    return counts, {"data": data, "written": written}


def test_two_processes_make_exactly_what_one_makes():
    with unscoped():
        workspace, _ = ensure_demo_workspace(password="gen-pass-123")
        run_demo_loaders(workspace)

    one_counts, one = _run(workspace, processes=1)
    two_counts, two = _run(workspace, processes=2)

    assert two_counts == one_counts
    assert two["data"] == one["data"]
    assert one["written"] == two["written"] == {"history": 400, "search": 400}
    assert len(one["data"]["activities"]) == one_counts["activities"] == 600
    # the parent's connection still works after the forked processes are gone
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
