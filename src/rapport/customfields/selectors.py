"""Reads of custom field definitions (always the active workspace, recycle bin excluded)."""

from __future__ import annotations

from django.db import models

from rapport.core.scoping import active_workspace_id
from rapport.customfields.models import CustomFieldDefinition


def record_type_label(record_type: str | type[models.Model] | models.Model) -> str:
    if isinstance(record_type, str):
        return record_type.lower()
    return record_type._meta.label_lower


def definitions_for(record_type: str | type[models.Model]) -> list[CustomFieldDefinition]:
    """Live definitions of ``record_type`` in the active workspace, in display order.

    With no active workspace (an anonymous request for the OpenAPI document) there are none.
    """
    if active_workspace_id() is None:
        return []
    return list(
        CustomFieldDefinition.objects.filter(
            workspace_id=active_workspace_id(), record_type=record_type_label(record_type)
        ).order_by("position", "id")
    )


def definition_counts() -> dict[str, int]:
    """Number of live definitions per record type in the active workspace."""
    rows = CustomFieldDefinition.objects.values("record_type").annotate(n=models.Count("id"))
    return {row["record_type"]: row["n"] for row in rows}
