"""Writes for deals: create, edit, move between stages, win, lose, reopen.

Every stage or status change appends a :class:`DealStageChange` with the time spent where the
deal was, so time-in-stage, stage conversion and cycle length are plain aggregates.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from rapport.core.models import RecordHistory
from rapport.core.permissions import Actor
from rapport.core.scoping import current_audit
from rapport.sales import search
from rapport.sales.models import Deal, DealStageChange, DealStatus, LostReason, Pipeline, Stage
from rapport.sales.money import normalise_currency
from rapport.sales.services.common import apply_fields, check_version, reject_unknown, require_change, touch

CREATE_FIELDS = (
    "name",
    "pipeline",
    "stage",
    "amount",
    "currency",
    "expected_close_date",
    "probability",
    "forecast_category",
    "owner",
    "company",
    "source",
    "next_step",
)
EDIT_FIELDS = CREATE_FIELDS


def _actor_user_id(actor: Actor) -> int | None:
    return getattr(actor.user, "pk", None)


def _stage_change(
    deal: Deal, *, from_stage: Stage | None, from_status: str, at: datetime.datetime, since: datetime.datetime | None
) -> DealStageChange:
    seconds = max(0, int((at - since).total_seconds())) if since else None
    return DealStageChange.objects.create(
        workspace_id=deal.workspace_id,
        deal=deal,
        from_stage=from_stage,
        to_stage_id=deal.stage_id,
        from_status=from_status,
        to_status=deal.status,
        at=at,
        seconds_in_previous=seconds,
        actor_id=getattr(current_audit().actor, "pk", None),
    )


def _resolve_stage(data: dict[str, Any], current: Deal | None = None) -> None:
    """Fill in pipeline or stage from the other, and refuse a stage of another pipeline."""
    pipeline: Pipeline | None = data.get("pipeline", current.pipeline if current else None)
    stage: Stage | None = data.get("stage")
    if stage is None and "pipeline" in data and current is not None and pipeline.pk != current.pipeline_id:
        stage = None  # a new pipeline without a stage: start at its first stage
    elif stage is None and current is not None:
        stage = current.stage
    if pipeline is None and stage is not None:
        pipeline = stage.pipeline
    if pipeline is None:
        raise ValidationError({"pipeline": "Choose a pipeline."})
    if stage is None:
        stage = pipeline.stages.first()
        if stage is None:
            raise ValidationError({"stage": "This pipeline has no stages yet."})
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": f"The stage “{stage}” belongs to another pipeline than “{pipeline}”."})
    data["pipeline"], data["stage"] = pipeline, stage


def _apply_extras(actor: Actor, deal: Deal, custom: dict[str, Any] | None, tags: list[Any] | None) -> list[Any] | None:
    """Merge already-cleaned custom values; resolve tags (names or ids) before anything is written."""
    if custom:
        from rapport.customfields.values import merged_custom

        deal.custom = merged_custom(deal.custom, custom)
    if tags is None:
        return None
    from rapport.tags import services as tag_services

    try:
        return tag_services.resolve_tags(actor=actor, values=tags)
    except ValidationError as exc:
        raise ValidationError({"tags": exc.messages}) from None


def _save_tags(actor: Actor, deal: Deal, tags: list[Any] | None) -> bool:
    if tags is None:
        return False
    from rapport.tags import services as tag_services

    return tag_services.set_tags(actor=actor, record=deal, tags=tags)


def deal_create(
    *, actor: Actor, data: dict[str, Any], custom: dict[str, Any] | None = None, tags: list[Any] | None = None
) -> Deal:
    """A new deal. ``custom`` holds cleaned custom values (customfields.clean_values), ``tags`` names or ids."""
    if not actor.can("records.create"):
        raise PermissionDenied("You may not create deals.")
    reject_unknown(data, CREATE_FIELDS)
    data = dict(data)
    _resolve_stage(data)
    data["currency"] = normalise_currency(data.get("currency") or actor.workspace.default_currency)
    data.setdefault("owner", actor.user)
    now = timezone.now()
    deal = Deal(stage_entered_at=now)
    with transaction.atomic():
        resolved = _apply_extras(actor, deal, custom, tags)
        apply_fields(deal, data)
        deal.save()
        _save_tags(actor, deal, resolved)
        _stage_change(deal, from_stage=None, from_status="", at=now, since=None)
        search.index(deal)
    return deal


def deal_update(
    *,
    actor: Actor,
    deal: Deal,
    data: dict[str, Any],
    expected_version: int | None = None,
    custom: dict[str, Any] | None = None,
    tags: list[Any] | None = None,
) -> bool:
    """Edit a deal's fields. A stage or pipeline change is recorded as a move; the amount of a deal
    with line items follows its lines and cannot be typed."""
    require_change(actor, deal)
    check_version(deal, expected_version)
    reject_unknown(data, EDIT_FIELDS)
    data = dict(data)
    if "currency" in data:
        data["currency"] = normalise_currency(data["currency"])
    if "pipeline" in data or "stage" in data:
        _resolve_stage(data, deal)
    if "amount" in data and data["amount"] != deal.amount and deal.line_items.exists():
        raise ValidationError({"amount": "This deal's amount follows its line items: change the lines instead."})
    if "currency" in data and data["currency"] != deal.currency and deal.line_items.exists():
        raise ValidationError({"currency": "Remove the line items before changing the currency."})
    old_stage, old_status, since = deal.stage, deal.status, deal.stage_entered_at
    with transaction.atomic():
        resolved = _apply_extras(actor, deal, custom, tags)
        apply_fields(deal, data)
        tagged = _save_tags(actor, deal, resolved)
        if not deal.changed_fields():
            if tagged:
                touch(deal)
            return tagged
        now = timezone.now()
        moved = deal.stage_id != old_stage.pk
        if moved:
            deal.stage_entered_at = now
        deal.save()
        if moved:
            _stage_change(deal, from_stage=old_stage, from_status=old_status, at=now, since=since)
        search.index(deal)
    return True


def deal_move_stage(*, actor: Actor, deal: Deal, stage: Stage, expected_version: int | None = None) -> Deal:
    """Move an open deal to another stage of its pipeline (the board's drag and drop).

    ``expected_version`` is the version the mover saw: if someone changed the deal since, the move
    is refused with ConflictError and nothing is written.
    """
    require_change(actor, deal)
    check_version(deal, expected_version)
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError({"stage": f"The stage “{stage}” belongs to another pipeline than this deal's."})
    if stage.deleted_at is not None:
        raise ValidationError({"stage": "This stage was removed."})
    if not deal.is_open:
        raise ValidationError({"stage": f"This deal is {deal.get_status_display().lower()}: reopen it to move it."})
    if stage.pk == deal.stage_id:
        return deal
    old_stage, since, now = deal.stage, deal.stage_entered_at, timezone.now()
    deal.stage, deal.stage_entered_at = stage, now
    with transaction.atomic():
        deal.save()
        _stage_change(deal, from_stage=old_stage, from_status=deal.status, at=now, since=since)
    return deal


def deal_mark_won(*, actor: Actor, deal: Deal, expected_version: int | None = None, create_order: bool = True) -> Deal:
    """Win an open deal: it closes now, its company and contacts become customers, and (unless told
    otherwise) an order is created from its lines."""
    require_change(actor, deal)
    check_version(deal, expected_version)
    if not deal.is_open:
        raise ValidationError({"status": f"This deal is already {deal.get_status_display().lower()}."})
    now = timezone.now()
    with transaction.atomic():
        since = deal.stage_entered_at
        deal.status, deal.closed_at, deal.lost_reason, deal.lost_note = DealStatus.WON, now, None, ""
        deal.save()
        _stage_change(deal, from_stage=deal.stage, from_status=DealStatus.OPEN, at=now, since=since)
        from rapport.sales.services import customers

        customers.mark_customers(actor=actor, deal=deal)
        search.index(deal)
        if create_order:
            from rapport.sales.services.orders import order_from_deal

            order_from_deal(actor=actor, deal=deal)
    return deal


def deal_mark_lost(
    *,
    actor: Actor,
    deal: Deal,
    lost_reason: LostReason | None,
    note: str = "",
    expected_version: int | None = None,
) -> Deal:
    require_change(actor, deal)
    check_version(deal, expected_version)
    if not deal.is_open:
        raise ValidationError({"status": f"This deal is already {deal.get_status_display().lower()}."})
    if lost_reason is None:
        raise ValidationError({"lost_reason": "Choose why the deal was lost."})
    if not lost_reason.active or lost_reason.deleted_at is not None:
        raise ValidationError({"lost_reason": "This reason is no longer offered: choose another one."})
    now = timezone.now()
    with transaction.atomic():
        since = deal.stage_entered_at
        deal.status, deal.closed_at, deal.lost_reason, deal.lost_note = DealStatus.LOST, now, lost_reason, note
        apply_fields(deal, {})
        deal.save()
        _stage_change(deal, from_stage=deal.stage, from_status=DealStatus.OPEN, at=now, since=since)
        search.index(deal)
    return deal


def deal_reopen(*, actor: Actor, deal: Deal, expected_version: int | None = None) -> Deal:
    require_change(actor, deal)
    check_version(deal, expected_version)
    if deal.is_open:
        raise ValidationError({"status": "This deal is already open."})
    now = timezone.now()
    with transaction.atomic():
        old_status, since = deal.status, deal.closed_at
        deal.status, deal.closed_at, deal.lost_reason, deal.lost_note = DealStatus.OPEN, None, None, ""
        deal.stage_entered_at = now
        deal.save()
        _stage_change(deal, from_stage=deal.stage, from_status=old_status, at=now, since=since)
        search.index(deal)
    return deal


def deals_bulk_move(*, actor: Actor, deals: models.QuerySet, to_stage: Stage) -> int:
    """Move many deals to one stage in a few statements (a stage or pipeline being removed).

    Writes a stage change and a History line per deal and moves each deal's version on, so an
    editor holding an old copy gets a conflict instead of overwriting the move.
    """
    rows = list(deals.values("pk", "pipeline_id", "stage_id", "status", "stage_entered_at", "name"))
    if not rows:
        return 0
    now = timezone.now()
    audit = current_audit()
    user_id = getattr(audit.actor, "pk", None)
    ids = [row["pk"] for row in rows]
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            Deal.all_objects.filter(pk__in=ids[start : start + 500]).update(
                pipeline_id=to_stage.pipeline_id,
                stage_id=to_stage.pk,
                stage_entered_at=now,
                version=models.F("version") + 1,
                updated_at=now,
                updated_by_id=user_id,
            )
        DealStageChange.objects.bulk_create(
            [
                DealStageChange(
                    workspace_id=to_stage.workspace_id,
                    deal_id=row["pk"],
                    from_stage_id=row["stage_id"],
                    to_stage=to_stage,
                    from_status=row["status"],
                    to_status=row["status"],
                    at=now,
                    seconds_in_previous=max(0, int((now - row["stage_entered_at"]).total_seconds())),
                    actor_id=user_id,
                )
                for row in rows
            ],
            batch_size=500,
        )
        content_type = ContentType.objects.get_for_model(Deal)
        RecordHistory.objects.bulk_create(
            [
                RecordHistory(
                    workspace_id=to_stage.workspace_id,
                    content_type=content_type,
                    object_id=row["pk"],
                    object_repr=row["name"][:200],
                    action="update",
                    actor_id=user_id,
                    source=audit.source,
                    at=now,
                    changes={
                        "stage_id": [row["stage_id"], to_stage.pk],
                        "pipeline_id": [row["pipeline_id"], to_stage.pipeline_id],
                    },
                )
                for row in rows
            ],
            batch_size=500,
        )
    return len(rows)


def deal_delete(*, actor: Actor, deal: Deal, expected_version: int | None = None) -> None:
    from rapport.core import services as core_services

    core_services.record_delete(actor=actor, record=deal, expected_version=expected_version)


__all__ = [
    "deal_create",
    "deal_delete",
    "deal_mark_lost",
    "deal_mark_won",
    "deal_move_stage",
    "deal_reopen",
    "deal_update",
    "deals_bulk_move",
]
