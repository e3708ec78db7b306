"""Heartbeats, the lost-task reaper and periodic slot claims: the writes behind rapport_worker.

Every function is safe to call from several workers at once:

- the reaper locks the RUNNING rows it looks at (``select_for_update(skip_locked=True)`` on
  PostgreSQL; on SQLite the whole pass is one exclusive transaction, SQLite having one writer);
- a periodic slot is claimed by inserting a ``(name, slot_start)`` row under a unique constraint,
  in the same transaction as the enqueue, so a slot is enqueued exactly once or not at all.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, retry

from rapport.core.tasks import PERIODIC, PeriodicJob, retry_policy_for
from rapport.jobs.models import PeriodicSlot, WorkerHeartbeat

logger = logging.getLogger("rapport.worker")

READY, RUNNING, FAILED = "READY", "RUNNING", "FAILED"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class WorkerLost(Exception):
    """Recorded on a task whose worker stopped sending heartbeats while running it."""


# --- Heartbeats ---------------------------------------------------------------------------------


@retry()
def beat(worker_id: str, *, queues: str = "default", now: datetime | None = None) -> None:
    """Record that ``worker_id`` is alive (creating its row on the first beat)."""
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"last_seen": now},
            create_defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "queues": queues[:255],
                "started_at": now,
                "last_seen": now,
            },
        )


def sign_off(worker_id: str) -> None:
    """Remove the heartbeat of a worker that stops cleanly (it holds no task any more)."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def live_workers(*, lost_after: timedelta, now: datetime | None = None):
    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(last_seen__gte=now - lost_after)


# --- The reaper ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reaped:
    task_id: str
    worker_id: str | None
    requeued: bool


def reap_lost_tasks(*, lost_after: timedelta, now: datetime | None = None, using: str = "default") -> list[Reaped]:
    """Requeue (or fail) RUNNING tasks whose worker stopped beating more than ``lost_after`` ago.

    A task whose worker has no heartbeat row at all (a worker that never beat, or a plain
    ``db_worker``) counts as lost once it has been running for ``lost_after``. The lost run counts as
    an attempt: with attempts left the row goes back to READY after the policy's back-off, otherwise
    it is FAILED with :class:`WorkerLost`.
    """
    now = now or timezone.now()
    cutoff = now - lost_after
    reaped: list[Reaped] = []
    if not DBTaskResult.objects.using(using).running().exists():
        return reaped  # the usual case: no write lock taken (SQLite has one writer)
    with exclusive_transaction(using):
        heartbeats = dict(WorkerHeartbeat.objects.using(using).values_list("worker_id", "last_seen"))
        running = DBTaskResult.objects.using(using).running().select_for_update(skip_locked=True)
        for result in running.only("id", "worker_ids", "started_at", "task_path"):
            worker_id = result.worker_ids[-1] if result.worker_ids else None
            last_seen = heartbeats.get(worker_id)
            if last_seen is not None and last_seen >= cutoff:
                continue
            if last_seen is None and result.started_at is not None and result.started_at >= cutoff:
                continue
            policy = retry_policy_for(result.task_path)
            attempt = len(result.worker_ids)
            message = (
                f"WorkerLost: worker {worker_id} stopped sending heartbeats "
                f"(last seen {last_seen.isoformat() if last_seen else 'never'}) during attempt {attempt}.\n"
            )
            fields = {"exception_class_path": f"{WorkerLost.__module__}.WorkerLost", "traceback": message}
            if policy.should_retry(None, attempt):
                fields |= {"status": READY, "run_after": now + policy.delay(attempt), "finished_at": None}
            else:
                fields |= {"status": FAILED, "finished_at": now, "return_value": None}
            DBTaskResult.objects.using(using).filter(pk=result.pk, status=RUNNING).update(**fields)
            reaped.append(Reaped(task_id=str(result.pk), worker_id=worker_id, requeued=fields["status"] == READY))
    for item in reaped:
        logger.warning(
            "Task id=%s lost with worker %s: %s",
            item.task_id,
            item.worker_id,
            "requeued" if item.requeued else "failed, no attempts left",
        )
    return reaped


def prune_heartbeats(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget workers silent for a long time (their tasks were reaped long ago)."""
    now = now or timezone.now()
    count, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - older_than).delete()
    return count


# --- Periodic jobs ------------------------------------------------------------------------------


def slot_start(job: PeriodicJob, now: datetime) -> datetime:
    """The start of the slot ``now`` falls in: slots of length ``every`` counted from the Unix epoch."""
    elapsed = now - EPOCH
    return EPOCH + job.every * (elapsed // job.every)


def claim_periodic_slots(
    *, worker_id: str, jobs: list[PeriodicJob] | None = None, now: datetime | None = None
) -> list[str]:
    """Enqueue each periodic job whose current slot nobody has claimed yet; returns the names enqueued.

    Only the current slot is considered: slots missed while no worker ran are not caught up.
    """
    now = now or timezone.now()
    enqueued = []
    for job in PERIODIC if jobs is None else jobs:
        start = slot_start(job, now)
        if PeriodicSlot.objects.filter(name=job.name, slot_start=start).exists():
            continue  # the usual case, checked first to spare the database a failing INSERT
        try:
            with transaction.atomic():
                slot = PeriodicSlot.objects.create(name=job.name, slot_start=start, claimed_at=now, worker_id=worker_id)
                result = job.task.enqueue()
                slot.task_result_id = result.id
                slot.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another worker has this slot
        enqueued.append(job.name)
        logger.info("Enqueued periodic job %s for the slot starting %s", job.name, start.isoformat())
    return enqueued


def prune_periodic_slots(*, now: datetime | None = None, keep: timedelta = timedelta(days=7)) -> int:
    """Drop slot rows well in the past; the current slot's row must stay to keep the claim unique."""
    now = now or timezone.now()
    longest = max((job.every for job in PERIODIC), default=timedelta(0))
    count, _ = PeriodicSlot.objects.filter(slot_start__lt=now - max(keep, 2 * longest)).delete()
    return count


# --- Queue health -------------------------------------------------------------------------------


def oldest_due_task_age(*, now: datetime | None = None) -> float:
    """Seconds the oldest READY task has been waiting since it became due (0 when none is waiting).

    A task enqueued without ``run_after`` is due since it was enqueued; a deferred or retried task
    since its ``run_after``.
    """
    now = now or timezone.now()
    ready = DBTaskResult.objects.filter(status=READY)
    undeferred = ready.filter(run_after=get_date_max()).aggregate(due=Min("enqueued_at"))["due"]
    deferred = ready.filter(run_after__lte=now).aggregate(due=Min("run_after"))["due"]
    due = min((d for d in (undeferred, deferred) if d is not None), default=None)
    return max((now - due).total_seconds(), 0.0) if due else 0.0
