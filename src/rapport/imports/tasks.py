"""The background import: thin, resumable (see rapport.imports.services.import_execute)."""

from __future__ import annotations

from django.conf import settings

from rapport.core.tasks import retrying, task_actor, workspace_task
from rapport.imports import services

# A retry resumes after the last committed chunk, so there is no reason to wait long.
RETRY_BASE_DELAY = float(getattr(settings, "IMPORT_RETRY_BASE_DELAY", 5.0))


@retrying(max_attempts=5, base_delay=RETRY_BASE_DELAY)
@workspace_task
def run_import(workspace_id: int, actor_id: int, run_id: int) -> int:
    """Safe to run again: a retry resumes after the last committed chunk and writes nothing twice."""
    actor = task_actor()
    if actor is None:
        services.import_fail(run_id, "The person who started the import is no longer a member of the workspace.")
        return 0
    run = services.import_execute(actor=actor, run_id=run_id)
    return run.rows_done
