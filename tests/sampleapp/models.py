"""A minimal owned record used by the core tests (history, recycle bin, concurrency, permissions)."""

from django.db import models

from rapport.core.models import OwnedRecord, Team


class Widget(OwnedRecord):
    name = models.CharField(max_length=100)
    notes = models.TextField(blank=True)
    quantity = models.IntegerField(default=0)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], condition=models.Q(deleted_at__isnull=True), name="widget_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
