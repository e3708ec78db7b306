"""Liveness and readiness probes for load balancers and orchestrators.

- ``/healthz``: the process serves requests. Touches nothing else (no database), so a slow
  database never gets healthy web processes killed.
- ``/readyz``: ready for traffic: the database answers and every migration is applied (else 503).
  It also reports the task queue's health: how long the oldest due task has waited and how many
  workers sent a heartbeat recently. Those two are figures for monitoring, not reasons for 503:
  the web serves pages without a worker.

Probes reach the views through :class:`HealthCheckMiddleware`, first in the middleware list, so an
orchestrator probing ``http://10.0.0.7:8000/healthz`` is neither refused by ``ALLOWED_HOSTS`` nor
redirected to HTTPS. Neither answer contains business data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: database reachable and migrations applied; reports the task queue's age."""
    alias = DEFAULT_DB_ALIAS
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
        unapplied = unapplied_migrations(alias)
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "unavailable", "checks": {"database": f"unreachable ({exc.__class__.__name__})"}}, status=503
        )
    ready = unapplied == 0
    checks: dict[str, object] = {
        "database": "ok",
        "migrations": "ok" if ready else f"{unapplied} unapplied",
    }
    checks.update(_queue_figures(alias))
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> int:
    """How many migrations the code has that the database lacks (a few ms once modules are imported)."""
    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _queue_figures(alias: str) -> dict[str, object]:
    from rapport.jobs.services import live_workers, oldest_due_task_age

    lost_after = timedelta(seconds=settings.TASK_WORKER_LOST_AFTER_SECONDS)
    # Inside a transaction (tests, ATOMIC_REQUESTS) a savepoint keeps a missing table from spoiling it;
    # outside one, no transaction at all: on SQLite it would take the write lock for a read.
    guard = transaction.atomic(using=alias) if connections[alias].in_atomic_block else contextlib.nullcontext()
    try:
        with guard:
            return {
                "oldest_queued_task_seconds": round(oldest_due_task_age(), 1),
                "live_workers": live_workers(lost_after=lost_after).count(),
            }
    except DatabaseError:
        return {"oldest_queued_task_seconds": None, "live_workers": None}


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Answer the probes before host validation, HTTPS redirects, sessions and workspace scoping."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
