"""Re-index records when custom-field definitions change what is searchable in them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.dispatch import receiver

from rapport.core.scoping import workspace_scope
from rapport.customfields.signals import custom_values_changed


@receiver(custom_values_changed, dispatch_uid="rapport.search.custom_values_changed")
def _custom_values_changed(sender: type[models.Model], workspace_id: int, pks: list[int] | None, **kwargs: Any) -> None:
    from rapport.search.index import index_many
    from rapport.search.providers import provider_for_model
    from rapport.search.tasks import reindex_record_type

    spec = provider_for_model(sender)
    if spec is None or spec.describe is None:
        return
    if pks is None:  # every record of the type: too many for the request, so a background task
        reindex_record_type.enqueue(workspace_id=workspace_id, provider_key=spec.key)
        return
    with workspace_scope(workspace_id):  # describe() reads the workspace's definitions
        records = sender.all_objects.filter(workspace_id=workspace_id, pk__in=pks)  # type: ignore[attr-defined]
        index_many(records.iterator(chunk_size=1000), spec.describe)
