"""The worker loop in-process: retries and back-off, final failure, the reaper, periodic slots, heartbeats.

Real worker processes (SIGKILL, SIGTERM, two workers at once) are in test_worker_processes.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rapport.core.tasks import PeriodicJob, enqueue_for, purge_recycle_bin
from rapport.core.worker import RapportWorker
from rapport.jobs import services
from rapport.jobs.models import PeriodicSlot, WorkerHeartbeat
from tests.jobs.tasks import (
    always_fails,
    fails_for_good,
    fails_once_without_policy,
    flaky,
    presumed_lost_while_running,
    sleepy,
    whoami,
)

pytestmark = pytest.mark.django_db


def make_worker(worker_id: str = "worker-a", **options) -> RapportWorker:
    defaults = {
        "queue_names": ["default"],
        "interval": 0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": worker_id,
        "excluded_queue_names": [],
        "heartbeat_seconds": 10,
        "lost_after_seconds": 60,
        "periodic": False,
        "heartbeat_thread": False,
    }
    return RapportWorker(**(defaults | options))


def row(result) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=result.id)


def make_due(result) -> None:
    """Let the back-off pass without waiting for it."""
    DBTaskResult.objects.filter(pk=result.id).update(run_after=timezone.now())


def test_a_failed_attempt_goes_back_to_the_queue_as_the_same_row_with_a_backoff():
    result = flaky.enqueue(fail_times=1)
    before = timezone.now()
    make_worker().run()
    first = row(result)
    assert first.status == "READY"
    assert timedelta(seconds=10) <= first.run_after - before <= timedelta(seconds=13.5)
    assert first.exception_class_path == "tests.jobs.tasks.Flaky"
    assert "attempt 1 fails on purpose" in first.traceback
    assert first.worker_ids == ["worker-a"]


def test_the_backoff_grows_with_each_attempt_until_the_task_succeeds():
    result = flaky.enqueue(fail_times=2)
    waits = []
    for _ in range(2):
        started = timezone.now()
        make_worker().run()
        waits.append((row(result).run_after - started).total_seconds())
        make_due(result)
    make_worker().run()
    final = row(result)
    assert 10 <= waits[0] < 13.5 and 20 <= waits[1] < 26, waits
    assert final.status == "SUCCESSFUL"
    assert final.return_value == "succeeded on attempt 3"
    assert (len(final.worker_ids), final.traceback) == (3, "")


def test_after_the_last_attempt_the_task_fails_with_its_traceback():
    result = always_fails.enqueue()
    for _ in range(3):
        make_worker().run()
        make_due(result)
    failed = row(result)
    assert failed.status == "FAILED"
    assert failed.exception_class_path == "builtins.ValueError"
    assert "this task never works" in failed.traceback
    assert len(failed.worker_ids) == 3
    assert result.task.get_result(result.id).errors[0].exception_class is ValueError


def test_an_exception_the_policy_does_not_retry_fails_at_once():
    result = fails_for_good.enqueue()
    make_worker().run()
    assert (row(result).status, len(row(result).worker_ids)) == ("FAILED", 1)


def test_a_task_without_a_policy_gets_one_attempt():
    result = fails_once_without_policy.enqueue()
    make_worker().run()
    assert row(result).status == "FAILED"


def test_once_mode_runs_at_most_one_task_and_batch_mode_empties_the_queue(tmp_path):
    results = [sleepy.enqueue(str(tmp_path / f"{n}.txt"), 0) for n in range(3)]
    make_worker(once=True, batch=False).run()
    assert sorted(row(r).status for r in results) == ["READY", "READY", "SUCCESSFUL"]
    make_worker().run()
    assert {row(r).status for r in results} == {"SUCCESSFUL"}


def test_a_worker_beats_while_it_runs_and_signs_off_when_it_stops():
    services.beat("worker-a", now=timezone.now() - timedelta(minutes=5))
    started = WorkerHeartbeat.objects.get(worker_id="worker-a").started_at
    services.beat("worker-a")
    beat = WorkerHeartbeat.objects.get(worker_id="worker-a")
    assert beat.started_at == started
    assert beat.last_seen > started
    make_worker("worker-a").run()
    assert not WorkerHeartbeat.objects.filter(worker_id="worker-a").exists()


def test_live_workers_are_those_that_beat_within_the_lost_after_time():
    services.beat("fresh")
    services.beat("silent", now=timezone.now() - timedelta(minutes=10))
    assert [w.worker_id for w in services.live_workers(lost_after=timedelta(minutes=2))] == ["fresh"]


def claim_as(worker_id: str, result) -> DBTaskResult:
    """Claim a task the way a worker does, and leave it RUNNING (as if the worker then died)."""
    db_result = row(result)
    db_result.claim(worker_id)
    return db_result


def test_the_reaper_requeues_the_task_of_a_worker_that_stopped_beating(tmp_path):
    result = sleepy.enqueue(str(tmp_path / "m.txt"), 0)
    services.beat("dead", now=timezone.now() - timedelta(minutes=5))
    claim_as("dead", result)
    reaped = services.reap_lost_tasks(lost_after=timedelta(minutes=2))
    assert [(r.task_id, r.worker_id, r.requeued) for r in reaped] == [(str(row(result).pk), "dead", True)]
    requeued = row(result)
    assert (requeued.status, requeued.exception_class_path) == ("READY", "rapport.jobs.services.WorkerLost")
    assert "worker dead stopped sending heartbeats" in requeued.traceback
    make_worker("rescuer").run()
    assert (row(result).status, row(result).worker_ids) == ("SUCCESSFUL", ["dead", "rescuer"])


def test_the_reaper_leaves_the_tasks_of_live_workers_alone(tmp_path):
    result = sleepy.enqueue(str(tmp_path / "m.txt"), 0)
    services.beat("alive")
    claim_as("alive", result)
    assert services.reap_lost_tasks(lost_after=timedelta(minutes=2)) == []
    assert row(result).status == "RUNNING"


def test_a_task_of_a_worker_without_heartbeat_is_lost_only_after_running_for_the_lost_after_time(tmp_path):
    result = sleepy.enqueue(str(tmp_path / "m.txt"), 0)
    claim_as("never-beat", result)
    assert services.reap_lost_tasks(lost_after=timedelta(minutes=2)) == []
    later = timezone.now() + timedelta(minutes=3)
    assert len(services.reap_lost_tasks(lost_after=timedelta(minutes=2), now=later)) == 1
    assert row(result).status == "READY"


def test_a_lost_task_with_no_attempts_left_fails_as_worker_lost():
    result = fails_once_without_policy.enqueue()
    services.beat("dead", now=timezone.now() - timedelta(minutes=5))
    claim_as("dead", result)
    services.reap_lost_tasks(lost_after=timedelta(minutes=2))
    lost = row(result)
    assert (lost.status, lost.exception_class_path) == ("FAILED", "rapport.jobs.services.WorkerLost")
    assert lost.finished_at is not None


def test_a_worker_presumed_lost_cannot_overwrite_the_requeued_task():
    result = presumed_lost_while_running.enqueue()
    make_worker(once=True, batch=False).run()
    after = row(result)
    assert after.status == "READY", "the reaper's decision stands; the late outcome is discarded"
    assert after.exception_class_path == "rapport.jobs.services.WorkerLost"


def test_a_periodic_slot_is_enqueued_once_however_many_workers_claim_it():
    job = PeriodicJob(name="test-purge", every=timedelta(hours=1), task=purge_recycle_bin)
    now = timezone.now()
    assert services.claim_periodic_slots(worker_id="a", jobs=[job], now=now) == ["test-purge"]
    assert services.claim_periodic_slots(worker_id="b", jobs=[job], now=now + timedelta(seconds=1)) == []
    assert PeriodicSlot.objects.filter(name="test-purge").count() == 1
    slot = PeriodicSlot.objects.get(name="test-purge")
    assert DBTaskResult.objects.filter(pk=slot.task_result_id, task_path=purge_recycle_bin.module_path).exists()


def test_the_next_slot_is_enqueued_again():
    job = PeriodicJob(name="test-purge", every=timedelta(hours=1), task=purge_recycle_bin)
    now = timezone.now()
    services.claim_periodic_slots(worker_id="a", jobs=[job], now=now)
    assert services.claim_periodic_slots(worker_id="b", jobs=[job], now=now + timedelta(hours=1)) == ["test-purge"]


def test_slots_are_aligned_to_the_epoch_in_utc():
    job = PeriodicJob(name="quarterly-hour", every=timedelta(minutes=15), task=purge_recycle_bin)
    moment = datetime(2026, 3, 4, 10, 52, 31, tzinfo=UTC)
    assert services.slot_start(job, moment) == datetime(2026, 3, 4, 10, 45, tzinfo=UTC)


def test_two_worker_loops_enqueue_and_run_the_hourly_purge_exactly_once():
    for name in ("loop-1", "loop-2"):
        make_worker(name, periodic=True).run()
    purges = DBTaskResult.objects.filter(task_path=purge_recycle_bin.module_path)
    assert PeriodicSlot.objects.filter(name="purge-recycle-bin").count() == 1
    assert [(p.status, len(p.worker_ids)) for p in purges] == [("SUCCESSFUL", 1)]


def test_old_slots_and_silent_workers_are_pruned():
    job = PeriodicJob(name="test-purge", every=timedelta(hours=1), task=purge_recycle_bin)
    services.claim_periodic_slots(worker_id="a", jobs=[job], now=timezone.now() - timedelta(days=30))
    services.beat("long-gone", now=timezone.now() - timedelta(days=3))
    assert services.prune_periodic_slots() == 1
    assert services.prune_heartbeats(older_than=timedelta(days=1)) == 1


def test_the_oldest_due_task_age_counts_from_enqueue_or_from_run_after(tmp_path):
    assert services.oldest_due_task_age() == 0
    waiting = sleepy.enqueue(str(tmp_path / "m.txt"), 0)
    DBTaskResult.objects.filter(pk=waiting.id).update(enqueued_at=timezone.now() - timedelta(seconds=90))
    deferred = sleepy.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(str(tmp_path / "n.txt"), 0)
    assert 90 <= services.oldest_due_task_age() < 100
    DBTaskResult.objects.filter(pk=deferred.id).update(run_after=timezone.now() - timedelta(seconds=300))
    assert 300 <= services.oldest_due_task_age() < 310


def test_lost_after_must_be_longer_than_the_heartbeat():
    with pytest.raises(ValueError, match="longer than"):
        make_worker(heartbeat_seconds=10, lost_after_seconds=10)


def test_a_workspace_task_enqueued_for_a_request_actor_runs_as_that_actor(cast):
    result = enqueue_for(cast.actor(cast.sales), whoami)
    make_worker().run()
    assert row(result).return_value == {"workspace": cast.workspace.pk, "user": cast.sales.pk, "role": "sales"}
