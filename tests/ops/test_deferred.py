"""Bulk loads without secondary indexes and constraints (PostgreSQL): everything comes back, and
rows that break a constraint are reported instead of kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from rapport.contacts.models import Contact, EmailAddress
from rapport.core.demo import ensure_demo_workspace, run_demo_loaders
from rapport.core.scoping import unscoped, workspace_scope
from rapport.ops import deferred
from rapport.ops.generator import Generator, Plan, _bulk_tables
from rapport.ops.models import PendingRebuild
from rapport.search.models import SearchEntry
from rapport.tags.models import Tag, TaggedItem

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="only PostgreSQL loads defer indexes"),
]


@pytest.fixture(autouse=True)
def _indexes_come_back():
    """A failing test must not leave the test database without its indexes for the next ones."""
    yield
    tables = sorted(set(PendingRebuild.objects.values_list("table", flat=True)))
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # the flush after the test empties them anyway
        deferred.rebuild_pending()


def _catalog(tables: list[str]) -> dict[str, set[str]]:
    """Every index and constraint of ``tables`` as PostgreSQL states it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid::regclass::text = ANY(%s)",
            [tables],
        )
        indexes = {f"{name}: {definition}" for name, definition in cursor.fetchall()}
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated, condeferrable "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        constraints = {" ".join(map(str, row)) for row in cursor.fetchall()}
    return {"indexes": indexes, "constraints": constraints}


def test_drop_and_rebuild_give_back_every_index_and_constraint():
    tables = [Contact._meta.db_table, EmailAddress._meta.db_table, SearchEntry._meta.db_table]
    before = _catalog(tables)
    assert len(before["indexes"]) > 10

    pending = deferred.drop(tables)

    assert {p.kind for p in pending} == {"index", "constraint", "foreign key"}
    left = _catalog(tables)
    assert all("_pkey" in line for line in left["indexes"]), left["indexes"]  # only primary keys stay
    assert PendingRebuild.objects.count() == len(pending)
    warnings = deferred.check_pending_rebuilds(None, databases=["default"])
    assert [w.id for w in warnings] == ["rapport.ops.W001"]
    assert f"{len(pending)} indexes or constraints" in warnings[0].msg

    assert deferred.rebuild_pending() == len(pending)

    assert _catalog(tables) == before
    assert not PendingRebuild.objects.exists()
    assert deferred.check_pending_rebuilds(None, databases=["default"]) == []


def test_rows_that_break_a_unique_constraint_fail_the_rebuild_and_stay_listed():
    with unscoped():
        workspace, _ = ensure_demo_workspace(password="gen-pass-123")
    table = TaggedItem._meta.db_table
    before = _catalog([table])
    with workspace_scope(workspace.pk):
        tag = Tag.objects.create(workspace=workspace, name="Twice")
    contact_type = ContentType.objects.get_for_model(Contact).pk
    deferred.drop([table])
    row = {"workspace_id": workspace.pk, "tag_id": tag.pk, "content_type_id": contact_type, "object_id": 1}
    with workspace_scope(workspace.pk):
        TaggedItem.objects.bulk_create([TaggedItem(**row), TaggedItem(**row)])  # nothing stops it now

    with pytest.raises(RuntimeError, match="taggeditem_unique_tag_record"):
        deferred.rebuild_pending()
    assert PendingRebuild.objects.filter(name="taggeditem_unique_tag_record").exists()

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = (SELECT max(id) FROM {table})")  # noqa: S608
    call_command("seed_demo", "--rebuild-indexes", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _catalog([table]) == before
    assert not PendingRebuild.objects.exists()


def _workspace():
    with unscoped():
        workspace, _ = ensure_demo_workspace(password="gen-pass-123")
        run_demo_loaders(workspace)
    return workspace


def test_a_deferred_generator_run_writes_the_same_rows_and_puts_every_index_back():
    workspace = _workspace()
    tables = _bulk_tables()
    before = _catalog(tables)
    lines: list[str] = []
    plan = Plan(contacts=300, seed=3, as_of=dt.date(2026, 6, 1), chunk=100, defer_indexes=True)

    counts = Generator(workspace, plan, log=lines.append).run()

    assert any("without their" in line for line in lines), lines
    assert _catalog(tables) == before
    assert not PendingRebuild.objects.exists()
    assert counts["contacts"] == 300
    with workspace_scope(workspace.pk):
        assert Contact.objects.filter(primary_email__endswith=".example").count() >= 300
        # the rebuilt trigram and prefix indexes serve search as before
        newest = Contact.objects.order_by("-pk").first()
        assert SearchEntry.objects.filter(object_id=newest.pk, title__icontains=newest.last_name).exists()


def test_an_error_during_the_load_still_puts_every_index_back(monkeypatch):
    workspace = _workspace()
    tables = _bulk_tables()
    before = _catalog(tables)

    def broken(self):
        raise ValueError("generator broke")

    monkeypatch.setattr(Generator, "_deals", broken)
    plan = Plan(contacts=50, seed=3, as_of=dt.date(2026, 6, 1), defer_indexes=True)
    with pytest.raises(ValueError, match="generator broke"):
        Generator(workspace, plan, log=lambda _m: None).run()

    assert _catalog(tables) == before
    assert not PendingRebuild.objects.exists()
