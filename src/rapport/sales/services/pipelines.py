"""Writes for pipelines, stages and lost reasons (owners and admins: ``sales.configure``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from rapport.core import services as core_services
from rapport.core.permissions import Actor
from rapport.sales.models import Deal, ForecastCategory, LostReason, Pipeline, Stage
from rapport.sales.services.common import apply_fields, check_version, reject_unknown, require

CONFIGURE = "sales.configure"
DENIED = "Only owners and admins change pipelines, stages and lost reasons."

# name, default probability (%), rotting days, forecast category
STANDARD_STAGES: list[tuple[str, int, int | None, str]] = [
    ("Qualified", 10, 14, ForecastCategory.PIPELINE),
    ("Needs analysis", 25, 21, ForecastCategory.PIPELINE),
    ("Proposal", 50, 14, ForecastCategory.BEST_CASE),
    ("Negotiation", 75, 10, ForecastCategory.COMMIT),
]
STANDARD_LOST_REASONS = ["Price", "Lost to a competitor", "No budget", "No decision", "Bad timing", "Other"]

PIPELINE_FIELDS = ("name", "position")
STAGE_FIELDS = ("name", "probability", "rotting_days", "forecast_category")


def pipeline_create(*, actor: Actor, name: str, stages: list[dict[str, Any]] | None = None) -> Pipeline:
    """A pipeline with its stages (``[{name, probability, rotting_days, forecast_category}]``)."""
    require(actor, CONFIGURE, DENIED)
    position = (Pipeline.objects.aggregate(m=models.Max("position"))["m"] or 0) + 1
    pipeline = Pipeline(name=(name or "").strip(), position=position)
    stages = stages if stages is not None else standard_stages()
    if not stages:
        raise ValidationError({"stages": "A pipeline needs at least one stage."})
    with transaction.atomic():
        apply_fields(pipeline, {})
        pipeline.save()
        for index, data in enumerate(stages, start=1):
            reject_unknown(data, STAGE_FIELDS)
            stage = Stage(pipeline=pipeline, position=index)
            apply_fields(stage, data)
            stage.save()
    return pipeline


def standard_stages() -> list[dict[str, Any]]:
    return [
        {"name": name, "probability": probability, "rotting_days": rotting, "forecast_category": category}
        for name, probability, rotting, category in STANDARD_STAGES
    ]


def ensure_standard_setup(*, actor: Actor) -> Pipeline:
    """The workspace's first pipeline and lost reasons, created when it has none (idempotent)."""
    require(actor, CONFIGURE, DENIED)
    with transaction.atomic():
        if not LostReason.objects.exists():
            for position, name in enumerate(STANDARD_LOST_REASONS, start=1):
                LostReason.objects.create(name=name, position=position)
        existing = Pipeline.objects.first()
        return existing or pipeline_create(actor=actor, name="Sales")


def pipeline_update(
    *, actor: Actor, pipeline: Pipeline, data: dict[str, Any], expected_version: int | None = None
) -> bool:
    require(actor, CONFIGURE, DENIED)
    return core_services.record_update(
        actor=actor, record=pipeline, data=data, fields=PIPELINE_FIELDS, expected_version=expected_version
    )


def pipeline_delete(
    *, actor: Actor, pipeline: Pipeline, move_to: Stage | None = None, expected_version: int | None = None
) -> int:
    """Remove a pipeline; its deals go to ``move_to`` (a stage of another pipeline). Returns how many moved."""
    require(actor, CONFIGURE, DENIED)
    check_version(pipeline, expected_version)
    has_deals = Deal.all_objects.filter(pipeline=pipeline).exists()
    if has_deals and move_to is None:
        raise ValidationError({"move_to": "This pipeline has deals: choose the stage they move to."})
    if move_to is not None and move_to.pipeline_id == pipeline.pk:
        raise ValidationError({"move_to": "Choose a stage of another pipeline."})
    if Pipeline.objects.exclude(pk=pipeline.pk).count() == 0:
        raise ValidationError({"pipeline": "The workspace needs at least one pipeline."})
    from rapport.sales.services.deals import deals_bulk_move

    with transaction.atomic():
        moved = (
            deals_bulk_move(actor=actor, deals=Deal.all_objects.filter(pipeline=pipeline), to_stage=move_to)
            if has_deals
            else 0
        )
        for stage in pipeline.stages.all():
            core_services.record_delete(actor=actor, record=stage)
        core_services.record_delete(actor=actor, record=pipeline)
    return moved


def stage_create(*, actor: Actor, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    require(actor, CONFIGURE, DENIED)
    reject_unknown(data, STAGE_FIELDS)
    position = (pipeline.stages.aggregate(m=models.Max("position"))["m"] or 0) + 1
    stage = Stage(pipeline=pipeline, position=position)
    with transaction.atomic():
        apply_fields(stage, data)
        stage.save()
    return stage


def stage_update(*, actor: Actor, stage: Stage, data: dict[str, Any], expected_version: int | None = None) -> bool:
    """Rename a stage or change its defaults; deals stay where they are (renaming needs no move)."""
    require(actor, CONFIGURE, DENIED)
    return core_services.record_update(
        actor=actor, record=stage, data=data, fields=STAGE_FIELDS, expected_version=expected_version
    )


def stage_reorder(*, actor: Actor, pipeline: Pipeline, stage_ids: list[int]) -> None:
    require(actor, CONFIGURE, DENIED)
    stages = {s.pk: s for s in pipeline.stages.all()}
    if sorted(stage_ids) != sorted(stages):
        raise ValidationError({"stages": "List every stage of the pipeline exactly once."})
    with transaction.atomic():
        for position, pk in enumerate(stage_ids, start=1):
            stage = stages[pk]
            if stage.position != position:
                stage.position = position
                stage.save()


def stage_delete(
    *, actor: Actor, stage: Stage, move_to: Stage | None = None, expected_version: int | None = None
) -> int:
    """Remove a stage. Its deals (also those in the recycle bin) move to ``move_to``; returns how many."""
    require(actor, CONFIGURE, DENIED)
    check_version(stage, expected_version)
    deals = Deal.all_objects.filter(stage=stage)
    has_deals = deals.exists()
    if stage.pipeline.stages.exclude(pk=stage.pk).count() == 0:
        raise ValidationError({"stage": "A pipeline needs at least one stage: remove the pipeline instead."})
    if has_deals and move_to is None:
        raise ValidationError({"move_to": "This stage has deals: choose the stage they move to."})
    if move_to is not None and (move_to.pk == stage.pk or move_to.pipeline_id != stage.pipeline_id):
        raise ValidationError({"move_to": "Choose another stage of the same pipeline."})
    from rapport.sales.services.deals import deals_bulk_move

    with transaction.atomic():
        moved = deals_bulk_move(actor=actor, deals=deals, to_stage=move_to) if has_deals else 0
        core_services.record_delete(actor=actor, record=stage)
    return moved


def lost_reason_create(*, actor: Actor, name: str) -> LostReason:
    require(actor, CONFIGURE, DENIED)
    position = (LostReason.objects.aggregate(m=models.Max("position"))["m"] or 0) + 1
    reason = LostReason(name=(name or "").strip(), position=position)
    with transaction.atomic():
        apply_fields(reason, {})
        reason.save()
    return reason


def lost_reason_update(
    *, actor: Actor, reason: LostReason, data: dict[str, Any], expected_version: int | None = None
) -> bool:
    require(actor, CONFIGURE, DENIED)
    return core_services.record_update(
        actor=actor, record=reason, data=data, fields=("name", "position", "active"), expected_version=expected_version
    )


def lost_reason_delete(*, actor: Actor, reason: LostReason, expected_version: int | None = None) -> None:
    """Lost deals keep their reason (it is only hidden from new choices); the reason goes to the bin."""
    require(actor, CONFIGURE, DENIED)
    core_services.record_delete(actor=actor, record=reason, expected_version=expected_version)
