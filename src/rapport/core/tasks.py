"""Helpers for background tasks: retry policies, workspace-scoped tasks, periodic jobs.

Tasks are ordinary Django 6.1 tasks (``django.tasks.task``) stored by django-tasks-db and run by
``manage.py rapport_worker`` (:mod:`rapport.core.worker`). This module adds what the library lacks:

- ``@retrying(max_attempts=5, base_delay=10)`` above ``@task``: a failed attempt goes back to the
  queue (same result row, same id) after ``base_delay * 2 ** (attempt - 1)`` seconds plus jitter;
- ``@workspace_task``: the task receives ``workspace_id`` (and ``actor_id``) and runs inside that
  workspace's scope with the actor in the audit context (``source="task"``);
- ``periodic(name, every=..., task=...)``: a schedule declared in code; each slot is enqueued by
  exactly one worker (see :mod:`rapport.jobs.services`).

Every task must be idempotent: a task may run more than once (a retry after a failure, a worker
that died mid-task and was reaped). See docs/tasks.md.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.tasks import Task, task
from django.utils.module_loading import autodiscover_modules, import_string

from rapport.core.scoping import audit_context, current_audit, current_scope, workspace_scope

logger = logging.getLogger("rapport.tasks")

# --- Retry policies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often a task is attempted and how long to wait between attempts.

    ``max_attempts`` counts every attempt, the first included, and also the attempts lost with a
    dead worker. ``retry_on`` limits which exceptions are retried; others fail at once.
    """

    max_attempts: int = 1
    base_delay: float = 10.0
    max_delay: float = 6 * 3600.0
    jitter: float = 0.25  # up to +25 % of the delay, so retries of many tasks do not arrive together
    retry_on: tuple[type[BaseException], ...] = (Exception,)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1.")
        if self.base_delay < 0 or self.max_delay < 0 or self.jitter < 0:
            raise ValueError("Delays and jitter cannot be negative.")

    def delay(self, attempt: int) -> timedelta:
        """The wait before the attempt after ``attempt`` (1-based): base * 2**(attempt-1) + jitter."""
        seconds = min(self.base_delay * 2 ** max(attempt - 1, 0), self.max_delay)
        seconds += random.uniform(0, seconds * self.jitter)  # noqa: S311 - spreading load, not security
        return timedelta(seconds=seconds)

    def should_retry(self, exc: BaseException | None, attempt: int) -> bool:
        """Whether attempt number ``attempt`` failing with ``exc`` (None: worker lost) earns another try."""
        if attempt >= self.max_attempts:
            return False
        if exc is None or isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return True  # the worker stopped; not the task's fault
        return isinstance(exc, self.retry_on)


NO_RETRY = RetryPolicy(max_attempts=1)
_policies: dict[str, RetryPolicy] = {}


def retrying(
    *,
    max_attempts: int = 5,
    base_delay: float = 10.0,
    max_delay: float = 6 * 3600.0,
    jitter: float = 0.25,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
) -> Callable[[Task], Task]:
    """Give a task a retry policy. Put it above ``@task`` (it needs the Task object)::

    @retrying(max_attempts=5, base_delay=10)
    @task
    def send_webhook(delivery_id: int) -> None: ...
    """
    policy = RetryPolicy(
        max_attempts=max_attempts, base_delay=base_delay, max_delay=max_delay, jitter=jitter, retry_on=retry_on
    )

    def register(task_obj: Task) -> Task:
        if not isinstance(task_obj, Task):
            raise TypeError("@retrying goes above @task: it receives the Task, not the function.")
        _policies[task_obj.module_path] = policy
        return task_obj

    return register


def retry_policy_for(task_path: str) -> RetryPolicy:
    """The policy of the task stored under ``task_path`` (importing it first), or one attempt only."""
    if task_path not in _policies:
        with contextlib.suppress(ImportError):
            import_string(task_path)  # the decorator registers the policy when the module loads
    return _policies.get(task_path, NO_RETRY)


# --- Workspace tasks ----------------------------------------------------------------------------


def workspace_task(
    function: Callable | None = None, *, takes_context: bool = False, **task_options: Any
) -> Task | Callable[[Callable], Task]:
    """A task that acts in one workspace, as one user (or the system when ``actor_id`` is None).

    The function declares ``workspace_id`` (and optionally ``actor_id``) parameters; they are read
    from the call, and the body runs inside ``workspace_scope(workspace_id)`` and
    ``audit_context(actor=<User>, source="task")``, so managers, permissions and History behave as
    in a request. A workspace deleted since the task was enqueued makes the task a no-op.
    """

    def decorate(func: Callable) -> Task:
        signature = inspect.signature(func)
        if "workspace_id" not in signature.parameters:
            raise TypeError(f"{func.__qualname__} must take a workspace_id parameter to be a workspace task.")

        @functools.wraps(func)
        def run_in_workspace(*args: Any, **kwargs: Any) -> Any:
            from django.contrib.auth import get_user_model

            from rapport.core.models import Workspace

            bound = signature.bind(*args, **kwargs)
            workspace_id = bound.arguments["workspace_id"]
            actor_id = bound.arguments.get("actor_id")
            if not Workspace.objects.filter(pk=workspace_id).exists():
                logger.warning("Skipping %s: workspace %s no longer exists.", func.__qualname__, workspace_id)
                return None
            actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id is not None else None
            with workspace_scope(workspace_id), audit_context(actor=actor, source="task"):
                return func(*args, **kwargs)

        return task(run_in_workspace, takes_context=takes_context, **task_options)

    if function is not None:
        return decorate(function)
    return decorate


def enqueue_for(actor, task_obj: Task, **kwargs: Any):
    """Enqueue a workspace task for the request's actor: ``enqueue_for(request.actor, export, export_id=7)``.

    Inside the caller's transaction the task row commits (or rolls back) with the caller's writes.
    """
    return task_obj.enqueue(workspace_id=actor.workspace.pk, actor_id=actor.user.pk, **kwargs)


def task_actor():
    """The :class:`~rapport.core.permissions.Actor` a workspace task runs as (None for the system).

    Services take an actor; inside a ``@workspace_task`` body this builds it from the scope.
    """
    from rapport.core.models import Workspace
    from rapport.core.permissions import actor_for

    user = current_audit().actor
    workspace_id = current_scope().workspace_id
    if user is None or workspace_id is None:
        return None
    return actor_for(user, Workspace.objects.get(pk=workspace_id))


# --- Periodic jobs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodicJob:
    """Enqueue ``task`` (no arguments) once per ``every``; slots are aligned to the Unix epoch in UTC."""

    name: str
    every: timedelta
    task: Task

    def __post_init__(self) -> None:
        if self.every < timedelta(seconds=1):
            raise ValueError(f"Periodic job {self.name!r} must run at most once a second.")
        if len(self.name) > 100:
            raise ValueError("Periodic job names are at most 100 characters.")


PERIODIC: list[PeriodicJob] = []


def periodic(name: str, *, every: timedelta, task: Task) -> PeriodicJob:
    """Declare a periodic job (call it at import time of an app's ``tasks`` module)."""
    if any(job.name == name for job in PERIODIC):
        raise ValueError(f"A periodic job named {name!r} is already declared.")
    job = PeriodicJob(name=name, every=every, task=task)
    PERIODIC.append(job)
    return job


def discover_tasks() -> None:
    """Import every installed app's ``tasks`` module, so retry policies and periodic jobs register."""
    autodiscover_modules("tasks")


# --- Core tasks ---------------------------------------------------------------------------------


@retrying(max_attempts=3, base_delay=60)
@task
def purge_recycle_bin() -> int:
    """Hard-delete records whose recycle-bin retention is over, in every workspace.

    Idempotent: it deletes what is expired *now*; a second run (retry, overlapping worker) finds
    nothing more to delete and returns 0.
    """
    from rapport.core.services import business_models, purge_expired

    with audit_context(actor=None, source="system"):
        return purge_expired(business_models())


periodic("purge-recycle-bin", every=timedelta(hours=1), task=purge_recycle_bin)


@retrying(max_attempts=3, base_delay=60)
@task
def prune_task_results() -> None:
    """Delete finished task results: successful ones after 14 days, failed ones after 30.

    Records that outlive their task (an import run, an export) keep their own status; a task id
    is a handle for progress pages, not an archive. Idempotent like any delete-by-age.
    """
    from django.core.management import call_command

    call_command("prune_db_task_results", queue_name="*", min_age_days=14, failed_min_age_days=30, verbosity=0)


periodic("prune-task-results", every=timedelta(days=1), task=prune_task_results)
