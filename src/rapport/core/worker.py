"""The task worker behind ``manage.py rapport_worker``: django-tasks-db's Worker, plus

- retries with exponential back-off (policies from :func:`rapport.core.tasks.retrying`): a failed
  attempt with attempts left puts the *same* result row back to READY with a later ``run_after``;
- a heartbeat from a background thread, so a task that runs for an hour still shows a live worker;
- a reaper and the periodic-job scheduler, run by every worker every heartbeat interval
  (:mod:`rapport.jobs.services`, safe with many workers);
- graceful shutdown: SIGTERM/SIGINT lets the current task finish (a second signal aborts it);
- ``once`` (one loop turn) and ``batch`` (until the queue is empty) modes for tests and cron.

The outcome of an attempt is written only if the row is still this worker's claim (same status
and ``started_at``): a worker that was presumed dead and reaped cannot overwrite the new attempt.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import timedelta
from traceback import format_exception
from typing import Any

from django.db import OperationalError, close_old_connections, connections
from django.tasks import TaskContext
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception, retry

from rapport.core.tasks import discover_tasks, retry_policy_for

logger = logging.getLogger("rapport.worker")

PRUNE_EVERY_SECONDS = 3600.0


def _close_old_connections() -> None:
    """Drop expired or broken connections between tasks, as Django does between requests.

    Skipped inside a transaction: only a test wraps the loop in one, and closing would end it.
    """
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


class RapportWorker(Worker):
    def __init__(
        self,
        *,
        heartbeat_seconds: float,
        lost_after_seconds: float,
        once: bool = False,
        periodic: bool = True,
        heartbeat_thread: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if lost_after_seconds <= heartbeat_seconds:
            raise ValueError("lost_after_seconds must be longer than heartbeat_seconds (three times is advised).")
        self.heartbeat_seconds = heartbeat_seconds
        self.lost_after = timedelta(seconds=lost_after_seconds)
        self.once = once
        self.periodic = periodic
        self.use_heartbeat_thread = heartbeat_thread
        self._wake = threading.Event()  # interrupts the idle wait on shutdown
        self._stop_beating = threading.Event()
        self._beater: threading.Thread | None = None
        self._next_maintenance = 0.0
        self._next_prune = 0.0

    # --- lifecycle --------------------------------------------------------------------------

    def shutdown(self, signum: int, frame: Any) -> None:
        if not self.running:
            super().shutdown(signum, frame)  # second signal: abort the current task and exit
            return
        logger.warning("Stopping after the current task (send the signal again to abort it).")
        self.running = False
        self._wake.set()

    def run(self) -> None:
        from rapport.jobs.services import beat, sign_off

        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        discover_tasks()
        beat(self.worker_id, queues=",".join(self.queue_names))
        self._start_heartbeat()
        try:
            if self.startup_delay and self.interval:
                self._wake.wait(random.random())  # noqa: S311 - spreads workers that start together
            self._loop()
        finally:
            self._stop_heartbeat()
            try:
                sign_off(self.worker_id)
            except Exception:
                logger.exception("Could not remove the heartbeat of worker %s", self.worker_id)
            logger.info("Worker %s stopped.", self.worker_id)

    def _loop(self) -> None:
        while self.running:
            _close_old_connections()
            if time.monotonic() >= self._next_maintenance:
                self.maintain()
            if not self.running:
                return  # a stop signal arrived during maintenance: claim nothing more
            db_result, retrieved = self.claim_next()
            if db_result is not None:
                self.run_task(db_result)
            if self.once:
                return
            if self.batch and retrieved and db_result is None:
                logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran the maximum of %d tasks - exiting.", self._run_tasks)
                return
            _close_old_connections()
            if self.running and db_result is None:
                self._wake.wait(self.interval)

    # --- heartbeat, reaper, periodic jobs -----------------------------------------------------

    def _start_heartbeat(self) -> None:
        if not self.use_heartbeat_thread:
            return
        self._stop_beating.clear()
        self._beater = threading.Thread(target=self._beat_forever, name=f"heartbeat-{self.worker_id}", daemon=True)
        self._beater.start()

    def _stop_heartbeat(self) -> None:
        self._stop_beating.set()
        if self._beater is not None:
            self._beater.join(timeout=self.heartbeat_seconds + 5)
            self._beater = None

    def _beat_forever(self) -> None:
        from rapport.jobs.services import beat

        queues = ",".join(self.queue_names)
        try:
            while not self._stop_beating.wait(self.heartbeat_seconds):
                try:
                    beat(self.worker_id, queues=queues)
                except Exception:
                    logger.exception("Heartbeat of worker %s failed; retrying next beat", self.worker_id)
                finally:
                    connections.close_all()  # this thread's connections only
        finally:
            connections.close_all()

    def maintain(self) -> None:
        """Reap lost tasks, enqueue due periodic jobs and, hourly, prune old bookkeeping rows."""
        from rapport.jobs import services

        self._next_maintenance = time.monotonic() + self.heartbeat_seconds
        try:
            services.reap_lost_tasks(lost_after=self.lost_after)
            if self.periodic:
                services.claim_periodic_slots(worker_id=self.worker_id)
            if time.monotonic() >= self._next_prune:
                self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                services.prune_heartbeats(older_than=max(timedelta(days=1), self.lost_after * 10))
                services.prune_periodic_slots()
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            logger.info("Database busy; maintenance postponed to the next turn.")

    # --- claiming and running ---------------------------------------------------------------

    def claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """Claim the next ready task; returns (the row or None, whether the queue could be read)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                db_result = tasks.get_locked()
                if db_result is not None:
                    db_result.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None, False
            raise
        return db_result, True

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one claimed task and record success, a scheduled retry, or the final failure."""
        claimed_at = db_task_result.started_at
        sender = None
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            sender = type(task.get_backend())
            task_started.send(sender=sender, task_result=task_result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            self._record(
                db_task_result,
                claimed_at,
                status="SUCCESSFUL",
                finished_at=timezone.now(),
                return_value=value,
                exception_class_path="",
                traceback="",
            )
            task_finished.send(sender=sender, task_result=db_task_result.task_result)
        except BaseException as exc:
            self._record_failure(db_task_result, claimed_at, exc, sender)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _record_failure(self, db_task_result: DBTaskResult, claimed_at, exc: BaseException, sender) -> None:
        policy = retry_policy_for(db_task_result.task_path)
        attempt = len(db_task_result.worker_ids)
        fields: dict[str, Any] = {
            "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "traceback": "".join(format_exception(exc)),
            "return_value": None,
        }
        if policy.should_retry(exc, attempt):
            delay = policy.delay(attempt)
            self._record(
                db_task_result,
                claimed_at,
                status="READY",
                run_after=timezone.now() + delay,
                finished_at=None,
                **fields,
            )
            logger.warning(
                "Task id=%s path=%s failed attempt %d of %d with %s; retrying in %.1f s",
                db_task_result.id,
                db_task_result.task_path,
                attempt,
                policy.max_attempts,
                type(exc).__name__,
                delay.total_seconds(),
            )
            return
        self._record(db_task_result, claimed_at, status="FAILED", finished_at=timezone.now(), **fields)
        if sender is None:
            logger.exception("Task id=%s (%s) could not be loaded", db_task_result.id, db_task_result.task_path)
        else:
            task_finished.send(sender=sender, task_result=db_task_result.task_result)

    @retry()
    def _record(self, db_task_result: DBTaskResult, claimed_at, **fields: Any) -> bool:
        """Write the attempt's outcome if the row is still our claim; False when it was reaped meanwhile."""
        updated = DBTaskResult.objects.filter(pk=db_task_result.pk, status="RUNNING", started_at=claimed_at).update(
            **fields
        )
        for name, value in fields.items():
            setattr(db_task_result, name, value)
        if not updated:
            logger.warning(
                "Task id=%s was reclaimed after this worker was presumed lost; this attempt's outcome is discarded.",
                db_task_result.id,
            )
        return bool(updated)
