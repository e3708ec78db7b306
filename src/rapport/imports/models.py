"""An import run, its ledger (what each row created or changed, for undo) and external ids.

The uploaded file is kept on the run (``content``, bounded by ``IMPORT_MAX_BYTES``) so a retry
after a killed worker reads exactly the same bytes. The ledger (:class:`ImportItem`) is written in
the same transaction as the records of each chunk, together with ``rows_done``: after a crash the
retry resumes at the first row whose chunk did not commit, so nothing is written twice.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from rapport.core.models import OwnedRecord, Workspace


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    VALIDATED = "validated", "Checked (dry run)"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    UNDOING = "undoing", "Undoing"
    UNDONE = "undone", "Undone"


class DedupePolicy(models.TextChoices):
    SKIP = "skip", "Skip the row"
    UPDATE = "update", "Update the existing record"
    CREATE = "create", "Create another record anyway"


class ImportRun(OwnedRecord):
    target = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField(editable=False)
    format = models.CharField(max_length=8, editable=False)
    encoding = models.CharField(max_length=32, blank=True, editable=False)
    delimiter = models.CharField(max_length=4, blank=True, editable=False)
    header_row = models.PositiveIntegerField(null=True, blank=True, editable=False)
    headers = models.JSONField(default=list, editable=False)
    total_rows = models.PositiveIntegerField(default=0, editable=False)
    mapping = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=16, blank=True)
    dedupe_policy = models.CharField(max_length=8, choices=DedupePolicy.choices, default=DedupePolicy.SKIP)
    tags = models.JSONField(default=list, blank=True, help_text="Tags added to every imported record.")
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    rows_done = models.PositiveIntegerField(default=0, editable=False)
    created_count = models.PositiveIntegerField(default=0, editable=False)
    updated_count = models.PositiveIntegerField(default=0, editable=False)
    skipped_count = models.PositiveIntegerField(default=0, editable=False)
    error_count = models.PositiveIntegerField(default=0, editable=False)
    errors = models.JSONField(default=list, blank=True, editable=False)
    dry_run_errors = models.JSONField(default=list, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    message = models.TextField(blank=True, editable=False)

    history_excluded = OwnedRecord.history_excluded | {
        "content",
        "rows_done",
        "created_count",
        "updated_count",
        "skipped_count",
        "error_count",
        "errors",
        "dry_run_errors",
        "task_id",
        "message",
    }

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="importrun_ws_created")]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"

    def record_chunk(self, stop: int, counts: dict[str, int], errors: list[dict]) -> None:
        """Add one chunk's outcome to the run, from ``self`` as locked at the start of the chunk's transaction.

        Called in that transaction (with the chunk's rows), so progress and rows commit together.
        """
        type(self).all_objects.filter(pk=self.pk).update(
            rows_done=stop,
            created_count=self.created_count + counts["created"],
            updated_count=self.updated_count + counts["updated"],
            skipped_count=self.skipped_count + counts["skipped"],
            error_count=self.error_count + counts["error"],
            errors=(self.errors + errors)[:5000],
        )


class ItemAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"


class ImportItem(models.Model):
    """One record an import created or updated; ``before`` holds the values to put back on undo."""

    # One row per imported record, bookkeeping without database constraints: undo reads by run
    # (importitem_run_row), and the rows are written only by the run's own chunks, each holding
    # the run's row lock; see docs/decisions/0003-write-path-indexes.md.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="items", db_index=False, db_constraint=False
    )
    row_number = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=ItemAction.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    before = models.JSONField(default=dict, blank=True)
    version_after = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["run", "row_number"], name="importitem_run_row"),
            models.Index(fields=["content_type", "object_id"], name="importitem_target"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.action}"


class ExternalId(models.Model):
    """The id a record had in the system it was imported from (dedupe key "external id")."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "content_type", "value"], name="externalid_unique"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="externalid_target")]

    def __str__(self) -> str:
        return self.value
