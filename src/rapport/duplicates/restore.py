"""The recycle bin's way back for records merged away: undo the merge, not a plain restore.

A plain restore would bring the record back empty (its e-mails, activities, deals... stay on the
survivor) while the merge still counts as done; so the recycle bin offers "Undo merge" instead,
and the core restore service refuses such a record with that advice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from rapport.core.registry import RestoreRoute
from rapport.duplicates.models import Merge
from rapport.duplicates.services import MODELS


def merged_away(actor: Any, model: type, rows: list) -> dict[int, RestoreRoute]:
    """``{pk: RestoreRoute}`` for the binned ``rows`` that a merge not yet undone removed."""
    binned = [row for row in rows if getattr(row, "deleted_at", None) is not None]
    if model not in MODELS.values() or not binned:
        return {}
    wanted = {row.pk for row in binned}
    merges = Merge.objects.filter(
        workspace=actor.workspace,
        content_type=ContentType.objects.get_for_model(model),
        undone_at__isnull=True,
        created_at__gte=min(row.deleted_at for row in binned) - timedelta(minutes=5),
    ).only("pk", "survivor_id", "loser_ids")
    claims: dict[int, Merge] = {}
    for merge in merges:
        for pk in merge.loser_ids:
            if pk in wanted:
                claims.setdefault(pk, merge)
    if not claims:
        return {}
    survivors = model.all_objects.in_bulk({merge.survivor_id for merge in claims.values()})
    return {
        pk: RestoreRoute(
            reason=f"Merged into {survivors.get(merge.survivor_id, f'#{merge.survivor_id}')}",
            action_url=reverse("duplicates:undo", args=[merge.pk]),
            action_label="Undo merge",
        )
        for pk, merge in claims.items()
    }
