"""What the task worker records besides django-tasks-db's own result rows.

``WorkerHeartbeat``: one row per running ``rapport_worker`` process, refreshed from a background
thread; the reaper treats a task whose worker stopped beating as lost. ``PeriodicSlot``: one row per
periodic job and time slot; the unique constraint is what makes each slot enqueue exactly once,
whatever the number of workers.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.CharField(max_length=255, default="default")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.hostname}:{self.pid})"


class PeriodicSlot(models.Model):
    name = models.CharField(max_length=100)
    slot_start = models.DateTimeField()
    claimed_at = models.DateTimeField(default=timezone.now)
    worker_id = models.CharField(max_length=64)
    task_result_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot_start"], name="periodic_slot_once")]
        ordering = ["-slot_start", "name"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot_start:%Y-%m-%d %H:%M:%S}"
