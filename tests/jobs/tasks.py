"""Tasks used by the worker tests (imported by path, also by worker subprocesses)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from django.tasks import TaskContext, task
from django.utils import timezone

from rapport.core.tasks import retrying, workspace_task


class Flaky(RuntimeError):
    pass


@retrying(max_attempts=3, base_delay=10)
@task(takes_context=True)
def flaky(context: TaskContext, fail_times: int) -> str:
    """Fails its first ``fail_times`` attempts, then succeeds."""
    if context.attempt <= fail_times:
        raise Flaky(f"attempt {context.attempt} fails on purpose")
    return f"succeeded on attempt {context.attempt}"


@retrying(max_attempts=3, base_delay=1, jitter=0)
@task
def always_fails() -> None:
    raise ValueError("this task never works")


@retrying(max_attempts=5, base_delay=1, retry_on=(ConnectionError,))
@task
def fails_for_good() -> None:
    raise ValueError("bad input: retrying cannot help")


@task
def fails_once_without_policy() -> None:
    raise RuntimeError("no retry policy: one attempt only")


@retrying(max_attempts=3, base_delay=0, jitter=0)
@task(takes_context=True)
def sleepy(context: TaskContext, path: str, first_attempt_seconds: float) -> int:
    """Notes each start and end in ``path``; the first attempt sleeps (long enough to be killed)."""
    marker = Path(path)
    with marker.open("a") as out:
        out.write(f"start {context.attempt} {os.getpid()}\n")
    if context.attempt == 1:
        time.sleep(first_attempt_seconds)
    with marker.open("a") as out:
        out.write(f"done {context.attempt}\n")
    return context.attempt


@retrying(max_attempts=3, base_delay=5, jitter=0)
@task
def presumed_lost_while_running() -> str:
    """While this runs, another worker decides its worker is lost (its heartbeat looks a day old)."""
    from rapport.jobs.services import reap_lost_tasks

    reap_lost_tasks(lost_after=timedelta(minutes=1), now=timezone.now() + timedelta(days=1))
    return "finished anyway"


@retrying(max_attempts=3, base_delay=5)
@workspace_task
def name_widget(workspace_id: int, actor_id: int | None, name: str) -> int:
    """Idempotent: creates the widget once, whatever the number of runs."""
    from tests.sampleapp.models import Widget

    widget = Widget.objects.filter(name=name).first()
    if widget is None:
        widget = Widget.objects.create(name=name)
    return widget.pk


@workspace_task
def whoami(workspace_id: int, actor_id: int | None) -> dict:
    """Reports the actor the task runs as (services take it from task_actor())."""
    from rapport.core.tasks import task_actor

    actor = task_actor()
    return {"workspace": actor.workspace.pk, "user": actor.user.pk, "role": actor.role} if actor else {}
