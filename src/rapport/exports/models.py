"""An export of a list (its filters and columns) to CSV, Excel or vCard, built in the background."""

from __future__ import annotations

from django.db import models

from rapport.core.models import OwnedRecord


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (.xlsx)"
    VCF = "vcf", "vCard (.vcf)"


class ExportRun(OwnedRecord):
    record_type = models.CharField(max_length=16)
    format = models.CharField(max_length=4, choices=ExportFormat.choices, default=ExportFormat.CSV)
    filters = models.JSONField(default=list, blank=True)
    logic = models.CharField(max_length=3, default="and")
    columns = models.JSONField(default=list, blank=True)
    ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    row_count = models.PositiveIntegerField(default=0, editable=False)
    file = models.FileField(upload_to="exports/", blank=True, editable=False)
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    message = models.TextField(blank=True, editable=False)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    history_excluded = OwnedRecord.history_excluded | {"row_count", "file", "message", "task_id", "finished_at"}

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="exportrun_ws_created")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export of {self.record_type}"
