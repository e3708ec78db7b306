"""A merge of two or more records, kept so it can be undone: what moved, and what the survivor was."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from rapport.core.models import OwnedRecord


class Merge(OwnedRecord):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    survivor_id = models.PositiveBigIntegerField()
    loser_ids = models.JSONField(default=list)
    survivor_before = models.JSONField(default=dict)
    moved = models.JSONField(default=list, help_text="[model label, row id, field, old value] per moved row.")
    undone_at = models.DateTimeField(null=True, blank=True, editable=False)

    history_excluded = OwnedRecord.history_excluded | {"moved", "survivor_before"}

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Merge into {self.content_type.model} #{self.survivor_id}"
