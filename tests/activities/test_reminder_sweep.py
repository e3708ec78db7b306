"""The batched reminder sweep: a fixed number of queries however many reminders are due, email copies
in bulk, and each reminder sent exactly once when two workers sweep at the same time (PostgreSQL and
a SQLite file; the in-memory SQLite test database re-runs the concurrent test in a child pytest)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.activities import notify
from rapport.activities.models import Notification, Task
from rapport.activities.tasks import DeliveryFailed, email_notifications, sweep_reminders
from rapport.core.scoping import unscoped, workspace_scope
from tests.activities.factories import make_task

pytestmark = pytest.mark.django_db


def due_reminders(cast, count: int, users=None) -> list[Task]:
    users = users or [cast.sales, cast.sales_peer]
    tasks = [
        make_task(users[i % len(users)], cast.workspace, title=f"Due {i}", remind_at=timezone.now())
        for i in range(count)
    ]
    with workspace_scope(cast.workspace.pk):
        Task.objects.filter(pk__in=[t.pk for t in tasks]).update(remind_at=timezone.now() - timedelta(minutes=1))
    return tasks


def test_the_sweep_runs_as_many_queries_for_twelve_reminders_as_for_two(cast):
    due_reminders(cast, 2)
    with CaptureQueriesContext(connection) as few:
        assert sweep_reminders() == 2
    due_reminders(cast, 12)
    with CaptureQueriesContext(connection) as many:
        assert sweep_reminders() == 12
    assert len(many) == len(few) <= 8  # claim, mark sent, preferences, insert, one email task per workspace


def test_the_sweep_writes_one_email_task_per_workspace_and_follows_each_preference(cast):
    notify.set_preferences(cast.workspace.pk, cast.sales_peer.pk, {"task_due": "in_app"})
    notify.set_preferences(cast.workspace.pk, cast.manager.pk, {"task_due": "off"})
    due_reminders(cast, 6, users=[cast.sales, cast.sales_peer, cast.manager])
    from django_tasks_db.models import DBTaskResult

    before = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert sweep_reminders() == 4  # the manager's two are off
    with unscoped():
        notes = list(Notification.objects.order_by("pk"))
    assert sorted({n.recipient_id for n in notes}) == sorted([cast.sales.pk, cast.sales_peer.pk])
    [job] = DBTaskResult.objects.exclude(pk__in=before)
    assert job.task_path.endswith("email_notifications")
    emailed = [n.pk for n in notes if n.recipient_id == cast.sales.pk]
    assert job.args_kwargs["kwargs"]["notification_ids"] == emailed


def test_email_copies_go_over_one_connection_and_a_failure_retries_only_the_unsent(cast, smtp, settings):
    due_reminders(cast, 2, users=[cast.sales, cast.sales_peer])
    sweep_reminders()
    with unscoped():
        ids = list(Notification.objects.order_by("recipient__email").values_list("pk", flat=True))
    smtp.refuse.add(cast.sales_peer.email.lower())
    recipients = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "recipient__email"))
    with pytest.raises(DeliveryFailed):
        email_notifications.call(workspace_id=cast.workspace.pk, notification_ids=ids)
    sent_first = [m.rcpt_tos[0] for m in smtp.messages]
    assert cast.sales_peer.email not in sent_first and len(sent_first) == 1
    smtp.refuse.clear()
    assert email_notifications.call(workspace_id=cast.workspace.pk, notification_ids=ids) == 1
    assert email_notifications.call(workspace_id=cast.workspace.pk, notification_ids=ids) == 0
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(recipients.values())  # each once
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exists()


# --- two workers at once ----------------------------------------------------------------------------

SWEEPERS = 2
DUE = 30


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_send_each_reminder_exactly_once(cast, tmp_path: Path):
    if _in_memory_sqlite():
        name = test_two_concurrent_sweeps_send_each_reminder_exactly_once.__name__
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", f"{__file__}::{name}"],
            env={**os.environ, "SQLITE_TEST_NAME": str(tmp_path / "sweep.sqlite3")},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "1 passed" in result.stdout, result.stdout[-3000:]
        return
    tasks = due_reminders(cast, DUE)
    barrier = threading.Barrier(SWEEPERS)
    sent: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            while True:  # small batches, so the two workers interleave
                count = sweep_reminders(batch=4)
                if not count:
                    break
                sent.append(count)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(sent) == DUE
    with unscoped():
        per_task = list(Notification.objects.values_list("activity_id", flat=True))
        assert sorted(per_task) == sorted(t.activity_id for t in tasks)  # one each, none twice
        assert not Task.all_objects.filter(pk__in=[t.pk for t in tasks], reminder_sent_at__isnull=True).exists()
