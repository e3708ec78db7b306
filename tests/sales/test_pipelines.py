from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from rapport.core.models import ConflictError
from rapport.sales.models import Deal, DealStageChange, LostReason, Pipeline, Stage
from rapport.sales.selectors import stage_stats
from rapport.sales.services import deals as deal_services
from rapport.sales.services import pipelines as pipeline_services
from tests.sales.factories import PipelineFactory


def test_the_standard_setup_creates_one_pipeline_and_the_lost_reasons_once(cast, acting):
    with acting(cast.admin, cast.workspace) as actor:
        first = pipeline_services.ensure_standard_setup(actor=actor)
        again = pipeline_services.ensure_standard_setup(actor=actor)
        assert first == again
        assert [s.name for s in first.stages.order_by("position")] == [s[0] for s in pipeline_services.STANDARD_STAGES]
        assert LostReason.objects.count() == len(pipeline_services.STANDARD_LOST_REASONS)


def test_only_owners_and_admins_change_pipelines(cast, acting):
    with acting(cast.manager, cast.workspace) as actor, pytest.raises(PermissionDenied):
        pipeline_services.pipeline_create(actor=actor, name="Mine")


def test_renaming_a_stage_keeps_its_deals(cast, acting, deal, stages):
    with acting(cast.admin, cast.workspace) as actor:
        pipeline_services.stage_update(actor=actor, stage=stages[0], data={"name": "Lead in"})
    deal.refresh_from_db()
    assert deal.stage.name == "Lead in"


def test_removing_a_stage_with_deals_asks_where_they_go(cast, acting, deal, stages):
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        pipeline_services.stage_delete(actor=actor, stage=stages[0])
    assert "move_to" in error.value.message_dict
    assert Stage.objects.filter(pk=stages[0].pk).exists()


def test_removing_a_stage_moves_its_deals_with_history_and_a_new_version(cast, acting, deal, stages):
    version = deal.version
    with acting(cast.admin, cast.workspace) as actor:
        moved = pipeline_services.stage_delete(actor=actor, stage=stages[0], move_to=stages[1])
    deal.refresh_from_db()
    assert moved == 1
    assert deal.stage == stages[1]
    assert deal.version == version + 1
    assert DealStageChange.objects.filter(deal=deal, from_stage=stages[0], to_stage=stages[1]).exists()
    assert not Stage.objects.filter(pk=stages[0].pk).exists()
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ConflictError):
        deal_services.deal_update(actor=actor, deal=deal, data={"next_step": "x"}, expected_version=version)


def test_the_move_target_must_be_another_stage_of_the_same_pipeline(cast, acting, deal, stages):
    other = PipelineFactory(workspace=cast.workspace)
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(ValidationError):
        pipeline_services.stage_delete(actor=actor, stage=stages[0], move_to=other.stages.first())


def test_removing_a_pipeline_moves_its_deals_to_a_stage_of_another(cast, acting, deal, pipeline):
    other = PipelineFactory(workspace=cast.workspace, name="Renewals")
    target = other.stages.first()
    with acting(cast.admin, cast.workspace) as actor:
        pipeline_services.pipeline_delete(actor=actor, pipeline=pipeline, move_to=target)
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == (other, target)
    assert not Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_the_stage_delete_page_says_how_many_deals_must_move(cast, login, deal, stages):
    client = login(cast.admin)
    url = reverse("sales:stage_delete", args=[stages[0].pk])
    assert "1 deal is in this stage" in client.get(url).content.decode()
    response = client.post(url, {"version": stages[0].version})
    assert "choose the stage they move to" in response.content.decode()
    response = client.post(url, {"version": stages[0].version, "move_to": stages[2].pk})
    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).stage == stages[2]


def test_stage_stats_count_entries_and_time_in_stage(cast, acting, pipeline, stages):
    with acting(cast.sales, cast.workspace) as actor:
        for i in range(4):
            created = deal_services.deal_create(actor=actor, data={"name": f"D{i}", "pipeline": pipeline})
            if i < 2:
                deal_services.deal_move_stage(actor=actor, deal=created, stage=stages[1])
        stats = stage_stats(actor, pipeline)
    assert [(s.stage, s.entered) for s in stats] == [(stages[0], 4), (stages[1], 2), (stages[2], 0)]
    assert stats[0].conversion == 50
    assert stats[0].avg_days is not None
