"""Background re-indexing (a whole record type can be large)."""

from __future__ import annotations

from rapport.core.tasks import retrying, workspace_task


@retrying(max_attempts=3, base_delay=30)
@workspace_task
def reindex_record_type(workspace_id: int, provider_key: str) -> int:
    """Re-index every record of one search provider's type in one workspace. Idempotent."""
    from rapport.search.index import index_many
    from rapport.search.providers import _providers

    spec = _providers.get(provider_key)
    if spec is None or spec.describe is None:
        return 0
    records = spec.model.all_objects.filter(workspace_id=workspace_id).order_by("pk")  # type: ignore[attr-defined]
    return index_many(records.iterator(chunk_size=1000), spec.describe)
