"""Pipelines, their ordered stages, and the configurable reasons a deal is lost."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from rapport.core.models import WorkspaceScoped


class ForecastCategory(models.TextChoices):
    """Where an open deal counts in the forecast (a stage sets the default, a deal may override it)."""

    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    OMITTED = "omitted", "Omitted"


class Pipeline(WorkspaceScoped):
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=models.Q(deleted_at__isnull=True),
                name="pipeline_unique_name",
                violation_error_message="A pipeline with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(WorkspaceScoped):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    probability = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Default win probability (%) of a deal in this stage.",
    )
    rotting_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="A deal left this many days in the stage is highlighted as rotting. Empty: never.",
    )
    forecast_category = models.CharField(
        max_length=16, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE
    )

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["pipeline_id", "position", "id"]
        indexes = [models.Index(fields=["workspace", "pipeline", "position"], name="stage_pipeline_pos_idx")]

    def __str__(self) -> str:
        return self.name


class LostReason(WorkspaceScoped):
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=models.Q(deleted_at__isnull=True),
                name="lostreason_unique_name",
                violation_error_message="A lost reason with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name
