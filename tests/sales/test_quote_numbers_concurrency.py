"""Twenty quotes created at once get twenty distinct numbers, on PostgreSQL and on a SQLite file.

The SQLite test database is in memory by default, where threads cannot write concurrently in a
meaningful way; the test then re-runs itself in a child pytest with a file database
(``SQLITE_TEST_NAME``), which is what production SQLite uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from rapport.core.permissions import actor_for
from rapport.core.scoping import audit_context, workspace_scope
from rapport.sales.models import Quote
from rapport.sales.services import quotes as quote_services
from tests.sales.factories import DealFactory, PipelineFactory

CREATORS = 20


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_quotes_get_twenty_distinct_numbers(security_log_flushable, cast, tmp_path: Path):
    if _in_memory_sqlite():
        env = {**os.environ, "SQLITE_TEST_NAME": str(tmp_path / "quotes.sqlite3")}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-v",
                f"{__file__}::{test_twenty_concurrent_quotes_get_twenty_distinct_numbers.__name__}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "1 passed" in result.stdout, result.stdout[-3000:]
        return
    pipeline = PipelineFactory(workspace=cast.workspace)
    deal = DealFactory(pipeline=pipeline, owner=cast.sales)
    barrier = threading.Barrier(CREATORS)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            barrier.wait(timeout=30)
            with workspace_scope(cast.workspace.pk), audit_context(actor=cast.sales, source="web"):
                actor = actor_for(cast.sales, cast.workspace)
                quote_services.quote_create(actor=actor, deal=deal)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(CREATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with workspace_scope(cast.workspace.pk):
        numbers = sorted(Quote.objects.filter(deal=deal).values_list("number", flat=True))
    assert numbers == list(range(1, CREATORS + 1))
