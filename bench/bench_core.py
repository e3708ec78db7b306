"""Core pages: the probes and the home page of the logged-in demo owner."""

from __future__ import annotations

from harness import Benchmark, Context


def workspace_records(context: Context) -> int | str:
    """Live business records of the demo workspace (what list and search figures depend on)."""
    if context.workspace is None:
        return "-"
    if "workspace_records" not in context.cache:
        from rapport.core.scoping import unscoped
        from rapport.core.services import business_models

        with unscoped():
            context.cache["workspace_records"] = sum(
                model.all_objects.filter(workspace=context.workspace, deleted_at__isnull=True).count()
                for model in business_models()
            )
    return context.cache["workspace_records"]


def queued_tasks(context: Context) -> int | str:
    if context.workspace is None:
        return "-"
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.count()


BENCHMARKS = [
    Benchmark("GET /healthz", "/healthz", target_ms=5, max_queries=0),
    Benchmark("GET /readyz", "/readyz", target_ms=50, max_queries=8, records=queued_tasks),
    Benchmark("GET / (home, owner)", "/", as_user="owner", target_ms=150, max_queries=15, records=workspace_records),
]
