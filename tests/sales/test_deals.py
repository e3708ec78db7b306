from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rapport.core.models import ConflictError, RecordHistory
from rapport.sales.models import Deal, DealStageChange, DealStatus, Order
from rapport.sales.services import deals as deal_services
from tests.sales.factories import DealFactory, LostReasonFactory, PipelineFactory


def test_a_new_deal_starts_in_the_first_stage_and_takes_its_probability(cast, acting, pipeline, stages):
    with acting(cast.sales, cast.workspace) as actor:
        deal = deal_services.deal_create(actor=actor, data={"name": "Big one", "pipeline": pipeline, "amount": 500})
    assert deal.stage == stages[0]
    assert deal.owner == cast.sales
    assert deal.currency == cast.workspace.default_currency
    assert deal.effective_probability == stages[0].probability
    assert DealStageChange.objects.filter(deal=deal, from_stage=None, to_stage=stages[0]).exists()


def test_a_deal_probability_overrides_the_stage_default(cast, acting, pipeline, stages):
    with acting(cast.sales, cast.workspace) as actor:
        deal = deal_services.deal_create(
            actor=actor, data={"name": "Sure", "pipeline": pipeline, "amount": Decimal("200"), "probability": 90}
        )
    assert deal.effective_probability == 90
    assert deal.weighted_amount == Decimal("180.00")


def test_creating_a_deal_with_an_unknown_currency_is_refused_and_nothing_is_saved(cast, acting, pipeline):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        deal_services.deal_create(actor=actor, data={"name": "X", "pipeline": pipeline, "currency": "XYZ"})
    assert "currency" in error.value.message_dict
    assert not Deal.all_objects.filter(name="X").exists()


def test_creating_a_deal_with_a_negative_amount_is_refused(cast, acting, pipeline):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        deal_services.deal_create(actor=actor, data={"name": "X", "pipeline": pipeline, "amount": Decimal("-1")})
    assert "amount" in error.value.message_dict


def test_a_stage_of_another_pipeline_is_refused(cast, acting, pipeline):
    other = PipelineFactory(workspace=cast.workspace, name="Renewals")
    foreign_stage = other.stages.first()
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        deal_services.deal_create(actor=actor, data={"name": "X", "pipeline": pipeline, "stage": foreign_stage})
    assert "another pipeline" in error.value.message_dict["stage"][0]


def test_moving_a_deal_records_the_change_with_the_time_spent_in_the_previous_stage(cast, acting, deal, stages):
    Deal.all_objects.filter(pk=deal.pk).update(stage_entered_at=deal.stage_entered_at - datetime.timedelta(days=3))
    deal.refresh_from_db()
    with acting(cast.sales, cast.workspace) as actor:
        deal_services.deal_move_stage(actor=actor, deal=deal, stage=stages[1], expected_version=deal.version)
    change = DealStageChange.objects.get(deal=deal, to_stage=stages[1])
    assert change.from_stage == stages[0]
    assert change.seconds_in_previous >= 3 * 86400
    assert RecordHistory.objects.filter(object_id=deal.pk, changes__has_key="stage_id").exists()


def test_a_stale_move_is_refused_and_changes_nothing(cast, acting, deal, stages):
    seen_version = deal.version
    with acting(cast.sales_peer, cast.workspace) as actor:
        deal_services.deal_move_stage(actor=actor, deal=Deal.objects.get(pk=deal.pk), stage=stages[1])
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ConflictError):
        deal_services.deal_move_stage(
            actor=actor, deal=Deal.objects.get(pk=deal.pk), stage=stages[2], expected_version=seen_version
        )
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    assert not DealStageChange.objects.filter(deal=deal, to_stage=stages[2]).exists()


def test_a_move_to_a_stage_of_another_pipeline_is_refused(cast, acting, deal):
    other = PipelineFactory(workspace=cast.workspace, name="Renewals")
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError):
        deal_services.deal_move_stage(actor=actor, deal=deal, stage=other.stages.last())


def test_a_reader_cannot_move_a_deal(cast, acting, pipeline, stages):
    deal = DealFactory(pipeline=pipeline, owner=cast.reader)
    with acting(cast.reader, cast.workspace) as actor, pytest.raises(PermissionDenied):
        deal_services.deal_move_stage(actor=actor, deal=deal, stage=stages[1])


def test_winning_a_deal_closes_it_and_creates_its_order(cast, acting, deal):
    with acting(cast.sales, cast.workspace) as actor:
        deal_services.deal_mark_won(actor=actor, deal=deal, expected_version=deal.version)
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    assert deal.closed_at is not None
    order = Order.objects.get(deal=deal)
    assert order.total == deal.amount
    assert DealStageChange.objects.filter(deal=deal, to_status=DealStatus.WON).exists()


def test_losing_a_deal_needs_a_reason(cast, acting, deal):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        deal_services.deal_mark_lost(actor=actor, deal=deal, lost_reason=None)
    assert "lost_reason" in error.value.message_dict
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN


def test_a_lost_deal_keeps_its_reason_and_can_be_reopened(cast, acting, deal):
    reason = LostReasonFactory(workspace=cast.workspace, name="Price")
    with acting(cast.sales, cast.workspace) as actor:
        deal_services.deal_mark_lost(actor=actor, deal=deal, lost_reason=reason, note="Too dear")
        deal.refresh_from_db()
        assert (deal.status, deal.lost_reason, deal.effective_probability) == (DealStatus.LOST, reason, 0)
        deal_services.deal_reopen(actor=actor, deal=deal)
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN
    assert deal.lost_reason is None


def test_a_deal_is_rotting_after_the_stage_limit(cast, pipeline):
    pipeline_with_limit = PipelineFactory(workspace=cast.workspace, stages=[("Stuck", 10, 5)])
    deal = DealFactory(pipeline=pipeline_with_limit, owner=cast.sales)
    later = deal.stage_entered_at + datetime.timedelta(days=6)
    assert deal.is_rotting(later)
    assert not deal.is_rotting(deal.stage_entered_at + datetime.timedelta(days=4))
