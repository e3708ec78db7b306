"""The forecast page: a month or a quarter, by owner or team, with quotas and attainment."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rapport.core.decorators import workspace_required
from rapport.core.replica import on_replica
from rapport.sales import forecast as forecasting
from rapport.sales import selectors
from rapport.sales.models import PeriodKind


def _bar(attainment) -> int:
    if attainment is None:
        return 0
    return max(0, min(100, int(attainment) // 10 * 10))


@workspace_required
@on_replica
def forecast(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    period = forecasting.Period.parse(request.GET.get("period"), today=timezone.localdate())
    group_by = "team" if request.GET.get("by") == "team" else "owner"
    pipeline_id = request.GET.get("pipeline")
    pipeline_id = int(pipeline_id) if pipeline_id and pipeline_id.isdigit() else None
    rows = forecasting.forecast(actor, period, group_by=group_by, pipeline_id=pipeline_id)
    for row in rows:
        row.bar = _bar(row.figures.attainment)
    months = []
    if period.kind == PeriodKind.QUARTER:
        for month in period.months:
            months.append((month, forecasting.totals(forecasting.forecast(actor, month, pipeline_id=pipeline_id))))
    other_kind = PeriodKind.MONTH if period.kind == PeriodKind.QUARTER else PeriodKind.QUARTER
    context = {
        "period": period,
        "previous": period.previous(),
        "next": period.next(),
        "switch": forecasting.Period.containing(other_kind, period.start),
        "rows": rows,
        "totals": forecasting.totals(rows),
        "months": months,
        "group_by": group_by,
        "pipelines": list(selectors.pipelines_for(actor)),
        "pipeline_id": pipeline_id,
    }
    return render(request, "sales/forecast.html", context)
