"""Run Rapport's background task worker (django-tasks-db's db_worker plus retries, heartbeats,
the lost-task reaper and periodic jobs). Start as many as you like; see docs/tasks.md."""

from __future__ import annotations

import _thread
import os
import signal
import socket
from argparse import ArgumentParser, ArgumentTypeError

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from rapport.core.worker import RapportWorker


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not seconds > 0 or seconds == float("inf"):
        raise ArgumentTypeError("must be a positive number of seconds")
    return seconds


def default_worker_id() -> str:
    """Readable and unique: host, process id and a random suffix (at most 64 characters)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


def _run_then_leave_reloader(worker: RapportWorker) -> None:
    """In --reload mode the worker runs in a thread; when it stops, stop the reloader's loop too."""
    try:
        worker.run()
    finally:
        _thread.interrupt_main(signal.SIGTERM)  # the reloader's SIGTERM handler exits with status 0


class Command(DbWorkerCommand):
    help = "Run a Rapport task worker: tasks with retries, heartbeats, the lost-task reaper and periodic jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=default_worker_id())
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run one turn (maintenance, then at most one task) and exit.",
        )
        parser.add_argument(
            "--heartbeat-seconds",
            type=positive_seconds,
            default=None,
            help="Seconds between heartbeats and maintenance passes (default: TASK_WORKER_HEARTBEAT_SECONDS).",
        )
        parser.add_argument(
            "--lost-after-seconds",
            type=positive_seconds,
            default=None,
            help="A worker silent this long is lost; its task is requeued (default: TASK_WORKER_LOST_AFTER_SECONDS).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            help="Do not enqueue periodic jobs from this worker.",
        )

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        once: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        heartbeat_seconds: float | None,
        lost_after_seconds: float | None,
        periodic: bool,
        **options: object,
    ) -> None:
        self.configure_logging(verbosity)
        if reload and (batch or once):
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        heartbeat = heartbeat_seconds or float(settings.TASK_WORKER_HEARTBEAT_SECONDS)
        lost_after = lost_after_seconds or float(settings.TASK_WORKER_LOST_AFTER_SECONDS)
        if lost_after <= heartbeat:
            raise CommandError(
                f"The lost-after time ({lost_after:g} s) must be longer than the heartbeat interval ({heartbeat:g} s)."
            )
        worker = RapportWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            once=once,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
            heartbeat_seconds=heartbeat,
            lost_after_seconds=lost_after,
            periodic=periodic,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child runs the worker
            run_with_reloader(_run_then_leave_reloader, worker)
        else:
            worker.configure_signals()
            worker.run()
