"""Reports on a read replica (DATABASE_REPLICA_URL): what goes there, and what never does."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from django.db import connections
from django.urls import reverse

from rapport.core import replica
from rapport.core.replica import ReplicaRouter, reports_on_replica
from rapport.sales import selectors
from tests.core.test_settings import manage, production


def test_the_router_sends_only_report_reads_outside_transactions_to_the_replica(monkeypatch):
    router = ReplicaRouter()
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    assert router.db_for_read(object) is None  # a plain page: default
    with reports_on_replica():
        assert router.db_for_read(object) == "replica"
        monkeypatch.setattr(connections["default"], "in_atomic_block", True)
        assert router.db_for_read(object) is None  # a report inside a write sees the write
        monkeypatch.undo()
    assert router.db_for_write(object) == "default"
    with reports_on_replica():
        assert router.db_for_write(object) == "default"
    assert router.allow_migrate("replica", "sales") is False and router.allow_migrate("default", "sales") is True


def test_without_a_replica_reports_read_from_default(settings):
    assert "replica" not in settings.DATABASES
    with reports_on_replica():
        assert ReplicaRouter().db_for_read(object) is None


def _watch_deal_reads(monkeypatch) -> list[bool]:
    """Whether each read of the visible deals happened inside a ``reports_on_replica`` block."""
    seen: list[bool] = []
    original = selectors.visible_deals

    def watching(*args, **kwargs):
        seen.append(replica._wanted.get())
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "visible_deals", watching)
    monkeypatch.setattr("rapport.sales.forecast.visible_deals", watching)
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        lambda pipeline: reverse("sales:forecast") + "?period=2026-Q2",
        lambda pipeline: "/api/v1/forecast/?period=2026-Q2",
        lambda pipeline: reverse("sales:pipeline_edit", args=[pipeline.pk]),
    ],
    ids=["forecast page", "forecast API", "stage analytics"],
)
def test_the_report_views_read_deals_inside_the_replica_block(cast, acting, login, monkeypatch, url):
    from tests.sales.factories import PipelineFactory

    with acting(cast.owner, cast.workspace):
        pipeline = PipelineFactory()
    seen = _watch_deal_reads(monkeypatch)
    response = login(cast.owner).get(url(pipeline), follow=True)
    assert response.status_code == 200
    assert seen and all(seen), seen


@pytest.mark.django_db
def test_a_plain_record_page_does_not_ask_for_the_replica(cast, login, monkeypatch):
    seen = _watch_deal_reads(monkeypatch)
    assert login(cast.owner).get(reverse("sales:deal_list")).status_code == 200
    assert not any(seen)


def test_a_replica_needs_postgresql(tmp_path):
    done = manage(tmp_path, "check", **production(DATABASE_REPLICA_URL="sqlite:////tmp/replica.sqlite3"))
    assert done.returncode != 0
    assert "DATABASE_REPLICA_URL needs PostgreSQL" in done.stderr.strip().splitlines()[-1]


def _postgres_reachable() -> bool:
    done = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False)
    return done.returncode == 0


def test_reports_read_the_replica_database_and_everything_else_the_primary(tmp_path):
    """Two real PostgreSQL databases: a table exists only in the "replica"; reports see it, pages do not."""
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL on 127.0.0.1:5432")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    suffix = uuid.uuid4().hex[:8]
    primary, copy = f"rapport_primary_{suffix}", f"rapport_replica_{suffix}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*psql, "-c", f"CREATE DATABASE {primary}"], check=True)
    subprocess.run([*psql, "-c", f"CREATE DATABASE {copy}"], check=True)
    try:
        subprocess.run(
            [*psql, "-d", copy, "-c", "CREATE TABLE marker (who text); INSERT INTO marker VALUES ('replica')"],
            check=True,
        )
        code = (
            "from django.db import connections, router, transaction\n"
            "from rapport.core.replica import reports_on_replica\n"
            "from rapport.core.models import Workspace\n"
            "def where():\n"
            "    alias = router.db_for_read(Workspace)\n"
            "    with connections[alias].cursor() as c:\n"
            "        c.execute(\"SELECT to_regclass('marker') IS NOT NULL\")\n"
            "        return c.fetchone()[0]\n"
            "print('page', where())\n"
            "with reports_on_replica():\n"
            "    print('report', where())\n"
            "    with transaction.atomic():\n"
            "        print('report-in-transaction', where())\n"
        )
        done = manage(
            tmp_path,
            "shell",
            "--no-imports",
            "-c",
            code,
            RAPPORT_ENV="test",
            DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{primary}",
            DATABASE_REPLICA_URL=f"postgresql://postgres@127.0.0.1:5432/{copy}",
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["page", "False", "report", "True", "report-in-transaction", "False"]
    finally:
        for name in (primary, copy):
            subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)
