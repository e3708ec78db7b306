from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from rapport.sales.forecast import Period, forecast, totals
from rapport.sales.models import DealStatus, ForecastCategory, PeriodKind
from rapport.sales.services import quotas as quota_services
from tests.sales.factories import DealFactory, PipelineFactory

Q2 = Period(PeriodKind.QUARTER, datetime.date(2026, 4, 1))


def _won(pipeline, owner, amount, day):
    closed = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return DealFactory(pipeline=pipeline, owner=owner, amount=Decimal(amount), status=DealStatus.WON, closed_at=closed)


def test_periods_parse_and_step():
    today = datetime.date(2026, 5, 17)
    assert Period.parse("2026-Q2", today=today) == Q2
    assert Period.parse("2026-05", today=today).end == datetime.date(2026, 6, 1)
    assert Period.parse("garbage", today=today) == Q2
    assert Q2.end == datetime.date(2026, 7, 1)
    assert Q2.next().start == datetime.date(2026, 7, 1)
    assert Period(PeriodKind.QUARTER, datetime.date(2026, 10, 1)).end == datetime.date(2027, 1, 1)
    assert [m.label for m in Q2.months] == ["April 2026", "May 2026", "June 2026"]


def test_the_forecast_adds_won_commit_best_case_and_weighted_pipeline(cast, acting):
    pipeline = PipelineFactory(workspace=cast.workspace, stages=[("Early", 10), ("Late", 80)])
    early, late = pipeline.stages.order_by("position")
    late.forecast_category = ForecastCategory.COMMIT
    late.save()
    may = datetime.date(2026, 5, 10)
    _won(pipeline, cast.sales, "1000", may)
    _won(pipeline, cast.sales, "999", datetime.date(2026, 7, 2))  # next quarter: not counted
    DealFactory(pipeline=pipeline, stage=late, owner=cast.sales, amount=Decimal("500"), expected_close_date=may)
    DealFactory(
        pipeline=pipeline,
        stage=early,
        owner=cast.sales,
        amount=Decimal("300"),
        expected_close_date=may,
        forecast_category=ForecastCategory.BEST_CASE,
    )
    DealFactory(pipeline=pipeline, stage=early, owner=cast.sales, amount=Decimal("200"), expected_close_date=may)
    DealFactory(
        pipeline=pipeline,
        stage=early,
        owner=cast.sales,
        amount=Decimal("5000"),
        expected_close_date=may,
        forecast_category=ForecastCategory.OMITTED,
    )
    with acting(cast.manager, cast.workspace) as actor:
        quota_services.quota_create(
            actor=actor,
            data={
                "user": cast.sales,
                "period": PeriodKind.QUARTER,
                "period_start": Q2.start,
                "amount": Decimal("4000"),
                "currency": "USD",
            },
        )
        rows = forecast(actor, Q2)
    (row,) = [r for r in rows if r.key == cast.sales.pk]
    figures = row.figures
    assert figures.won == Decimal("1000.00")
    assert figures.commit == Decimal("1500.00")
    assert figures.best_case == Decimal("1800.00")
    assert figures.weighted == Decimal("450.00")  # 500 x 80% + 300 x 10% + 200 x 10%
    assert figures.quota == Decimal("4000.00")
    assert figures.attainment == Decimal("25")


def test_the_team_forecast_sums_its_members(cast, acting):
    pipeline = PipelineFactory(workspace=cast.workspace)
    may = datetime.date(2026, 5, 10)
    _won(pipeline, cast.sales, "100", may)
    _won(pipeline, cast.sales_peer, "50", may)
    _won(pipeline, cast.sales_west, "7", may)
    with acting(cast.owner, cast.workspace) as actor:
        rows = forecast(actor, Q2, group_by="team")
    by_team = {r.label: r.figures.won for r in rows}
    assert by_team == {"East": Decimal("150.00"), "West": Decimal("7.00")}
    assert totals(rows)[0].figures.won == Decimal("157.00")


def test_a_rep_forecast_only_counts_deals_they_may_see(cast, acting):
    pipeline = PipelineFactory(workspace=cast.workspace)
    may = datetime.date(2026, 5, 10)
    _won(pipeline, cast.sales, "100", may)
    _won(pipeline, cast.sales_west, "7", may)
    with acting(cast.sales, cast.workspace) as actor:
        rows = forecast(actor, Q2)
    assert {r.key for r in rows} == {cast.sales.pk}


def test_monthly_quotas_add_up_for_the_quarter(cast, acting):
    with acting(cast.manager, cast.workspace) as actor:
        for month in (4, 5, 6):
            quota_services.quota_create(
                actor=actor,
                data={
                    "user": cast.sales,
                    "period": PeriodKind.MONTH,
                    "period_start": datetime.date(2026, month, 1),
                    "amount": Decimal("100"),
                    "currency": "USD",
                },
            )
        rows = forecast(actor, Q2)
    assert [r.figures.quota for r in rows if r.key == cast.sales.pk] == [Decimal("300.00")]
