from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.sales.models import Deal, DealStageChange
from tests.sales.factories import DealFactory, PipelineFactory


def _query_count(client, url) -> int:
    client.get(url)  # warm caches (content types, session) so both counts measure the page alone
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_board_shows_each_stage_with_count_total_and_weighted_total(cast, login, pipeline, stages):
    DealFactory(pipeline=pipeline, stage=stages[1], owner=cast.sales, amount=Decimal("1000"), name="Big corp")
    DealFactory(pipeline=pipeline, stage=stages[1], owner=cast.sales, amount=Decimal("500.50"), currency="EUR")
    response = login(cast.sales).get(reverse("sales:pipeline_board", args=[pipeline.pk]))
    body = response.content.decode()
    assert "Big corp" in body
    assert "EUR 500.50 · USD 1,000.00" in body
    assert "Weighted EUR 250.25 · USD 500.00" in body  # stage probability 50%


def test_the_board_runs_the_same_number_of_queries_for_5_or_40_deals(cast, login, pipeline, stages):
    client = login(cast.sales)
    url = reverse("sales:pipeline_board", args=[pipeline.pk])
    for i in range(5):
        DealFactory(pipeline=pipeline, stage=stages[i % 3], owner=cast.sales)
    few = _query_count(client, url)
    for i in range(35):
        DealFactory(pipeline=pipeline, stage=stages[i % 3], owner=cast.sales_peer)
    assert _query_count(client, url) == few


def test_the_board_hides_deals_the_viewer_may_not_see(cast, login, pipeline):
    DealFactory(pipeline=pipeline, owner=cast.sales_west, name="West coast secret")
    body = login(cast.sales).get(reverse("sales:pipeline_board", args=[pipeline.pk])).content.decode()
    assert "West coast secret" not in body


def test_the_board_filters_by_owner(cast, login, pipeline):
    DealFactory(pipeline=pipeline, owner=cast.sales, name="Mine to show")
    DealFactory(pipeline=pipeline, owner=cast.sales_peer, name="Peer deal here")
    url = reverse("sales:pipeline_board", args=[pipeline.pk])
    body = login(cast.sales).get(url, {"owner": cast.sales.pk}).content.decode()
    assert "Mine to show" in body
    assert "Peer deal here" not in body


def test_a_rotting_deal_is_flagged_in_words(cast, login):
    pipeline = PipelineFactory(workspace=cast.workspace, stages=[("Waiting", 10, 3)])
    deal = DealFactory(pipeline=pipeline, owner=cast.sales, name="Slow mover")
    Deal.all_objects.filter(pk=deal.pk).update(stage_entered_at=deal.stage_entered_at - datetime.timedelta(days=9))
    body = login(cast.sales).get(reverse("sales:pipeline_board", args=[pipeline.pk])).content.decode()
    assert "Rotting: 9 days in stage" in body


def test_a_board_move_returns_the_card_and_both_column_headers(cast, login, deal, stages):
    response = login(cast.sales).post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"stage": stages[2].pk, "version": deal.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="deal-{deal.pk}"' in body
    assert f'id="column-head-{stages[0].pk}"' in body
    assert f'id="column-head-{stages[2].pk}"' in body
    deal.refresh_from_db()
    assert deal.stage == stages[2]


def test_a_stale_board_move_is_refused_with_409_and_a_message(cast, login, deal, stages):
    stale = deal.version
    Deal.all_objects.filter(pk=deal.pk).update(version=stale + 1)
    response = login(cast.sales).post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"stage": stages[2].pk, "version": stale},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "someone else" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages[0]
    assert not DealStageChange.objects.filter(deal=deal, to_stage=stages[2]).exists()


def test_a_move_to_a_stage_of_another_pipeline_answers_400(cast, login, deal):
    other = PipelineFactory(workspace=cast.workspace)
    response = login(cast.sales).post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"stage": other.stages.first().pk, "version": deal.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "another pipeline" in response.content.decode()


@pytest.mark.parametrize("url_name", ["sales:deal_list", "sales:board"])
def test_list_pages_open_for_a_rep(cast, login, deal, url_name):
    response = login(cast.sales).get(reverse(url_name), follow=True)
    assert response.status_code == 200
    assert deal.name in response.content.decode()


def test_the_table_pages_by_keyset(cast, login, pipeline):
    for i in range(55):
        DealFactory(pipeline=pipeline, owner=cast.sales, name=f"Paged deal {i:02d}")
    client = login(cast.sales)
    first = client.get(reverse("sales:deal_list"), {"sort": "name"})
    assert "Paged deal 00" in first.content.decode()
    assert "Paged deal 50" not in first.content.decode()
    next_url = first.context["next_url"]
    second = client.get(reverse("sales:deal_list") + next_url).content.decode()
    assert "Paged deal 50" in second
    assert "Paged deal 00" not in second


def test_a_crowded_column_shows_its_first_cards_and_says_how_many_more(cast, login, pipeline, stages, monkeypatch):
    from rapport.sales import selectors

    monkeypatch.setattr(selectors, "CARDS_PER_COLUMN", 3)
    for i in range(5):
        DealFactory(pipeline=pipeline, stage=stages[0], owner=cast.sales, name=f"Crowded {i}")
    DealFactory(pipeline=pipeline, stage=stages[1], owner=cast.sales, name="Alone here")
    body = login(cast.sales).get(reverse("sales:pipeline_board", args=[pipeline.pk])).content.decode()
    assert body.count(">Crowded ") == 3  # the link texts of the first three cards
    assert "Alone here" in body
    assert "2 more" in body
