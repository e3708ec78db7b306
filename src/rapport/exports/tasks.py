"""Background exports: thin; the service rewrites the same file if run again."""

from __future__ import annotations

from rapport.core.tasks import retrying, task_actor, workspace_task
from rapport.exports import services


@retrying(max_attempts=3, base_delay=10)
@workspace_task
def build_export(workspace_id: int, actor_id: int, export_id: int) -> int:
    actor = task_actor()
    if actor is None or not actor.can("records.export"):
        services.export_fail(export_id, "The person who asked for this export may no longer export.")
        return 0
    return services.export_build(actor=actor, export_id=export_id).row_count
