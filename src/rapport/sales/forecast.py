"""The forecast: per month or quarter, per owner or team — won, commit, best case, weighted pipeline.

Definitions (docs/sales.md):
- **won**: deals won with their close date in the period;
- **commit**: won + open deals in the *commit* category expected to close in the period;
- **best case**: commit + open deals in the *best case* category;
- **weighted pipeline**: Σ amount x probability of the open deals expected to close in the period,
  except those *omitted* from the forecast;
- **quota** and **attainment** (won ÷ quota) per person; quarterly quotas, or the sum of the
  monthly ones when no quarterly quota is set.

A deal's category is its own, or its stage's. Amounts are kept per currency (no conversion). One
aggregate query groups the visible deals by owner and currency; teams are summed in Python from
the memberships.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from rapport.core.models import Membership, Team
from rapport.core.permissions import Actor
from rapport.sales.models import DealStatus, ForecastCategory, PeriodKind, Quota
from rapport.sales.selectors import cents_sum, effective_category, from_cents, visible_deals, weighted_cents

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter
    start: datetime.date

    @property
    def end(self) -> datetime.date:
        """The first day after the period."""
        months = 1 if self.kind == PeriodKind.MONTH else 3
        month = self.start.month - 1 + months
        return datetime.date(self.start.year + month // 12, month % 12 + 1, 1)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%B %Y}"
        return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"

    @property
    def months(self) -> list[Period]:
        if self.kind == PeriodKind.MONTH:
            return [self]
        return [Period(PeriodKind.MONTH, datetime.date(self.start.year, self.start.month + i, 1)) for i in range(3)]

    def previous(self) -> Period:
        day = self.start - datetime.timedelta(days=1)
        return Period.containing(self.kind, day)

    def next(self) -> Period:
        return Period.containing(self.kind, self.end)

    @property
    def key(self) -> str:
        return (
            f"{self.start:%Y-%m}"
            if self.kind == PeriodKind.MONTH
            else f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        )

    @classmethod
    def containing(cls, kind: str, day: datetime.date) -> Period:
        if kind == PeriodKind.MONTH:
            return cls(PeriodKind.MONTH, day.replace(day=1))
        return cls(PeriodKind.QUARTER, datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1))

    @classmethod
    def parse(cls, value: str | None, *, today: datetime.date) -> Period:
        """``2026-05`` (a month) or ``2026-Q2`` (a quarter); anything else: the current quarter."""
        value = (value or "").strip().upper()
        try:
            if "-Q" in value:
                year, quarter = value.split("-Q")
                if 1 <= int(quarter) <= 4:
                    return cls(PeriodKind.QUARTER, datetime.date(int(year), (int(quarter) - 1) * 3 + 1, 1))
            elif len(value) == 7 and value[4] == "-":
                return cls(PeriodKind.MONTH, datetime.date(int(value[:4]), int(value[5:]), 1))
        except ValueError:
            pass
        return cls.containing(PeriodKind.QUARTER, today)


@dataclass
class Figures:
    won: Decimal = ZERO
    commit_open: Decimal = ZERO
    best_case_open: Decimal = ZERO
    pipeline_open: Decimal = ZERO
    weighted: Decimal = ZERO
    quota: Decimal | None = None

    @property
    def commit(self) -> Decimal:
        return self.won + self.commit_open

    @property
    def best_case(self) -> Decimal:
        return self.commit + self.best_case_open

    @property
    def attainment(self) -> Decimal | None:
        if not self.quota:
            return None
        return (self.won * 100 / self.quota).quantize(Decimal("1"))

    def add(self, other: Figures) -> None:
        self.won += other.won
        self.commit_open += other.commit_open
        self.best_case_open += other.best_case_open
        self.pipeline_open += other.pipeline_open
        self.weighted += other.weighted
        if other.quota is not None:
            self.quota = (self.quota or ZERO) + other.quota


@dataclass
class ForecastRow:
    key: Any  # user id, team id, or None for "no team" / the total
    label: str
    currency: str
    figures: Figures = field(default_factory=Figures)


def _category_sum(category: str) -> models.Sum:
    return cents_sum(
        models.Case(
            models.When(category=category, then=models.F("amount")),
            default=models.Value(Decimal("0")),
            output_field=models.DecimalField(max_digits=14, decimal_places=2),
        )
    )


def forecast(
    actor: Actor, period: Period, *, group_by: str = "owner", pipeline_id: int | None = None
) -> list[ForecastRow]:
    """Forecast rows for the period, one per owner (or team) and currency, plus quotas."""
    start, end = period.start, period.end
    deals = visible_deals(actor)
    if pipeline_id:
        deals = deals.filter(pipeline_id=pipeline_id)
    start_at, end_at = (timezone.make_aware(datetime.datetime.combine(d, datetime.time.min)) for d in (start, end))
    # Two queries, one per index (won by close time, open by expected close date): an OR of both
    # leaves SQLite's planner free to scan the whole workspace when its statistics are missing.
    won_rows = (
        deals.filter(status=DealStatus.WON, closed_at__gte=start_at, closed_at__lt=end_at)
        .order_by()
        .values("owner_id", "currency")
        .annotate(won=cents_sum(models.F("amount")))
    )
    open_rows = (
        deals.filter(status=DealStatus.OPEN, expected_close_date__gte=start, expected_close_date__lt=end)
        .annotate(category=effective_category())
        .order_by()
        .values("owner_id", "currency")
        .annotate(
            commit_open=_category_sum(ForecastCategory.COMMIT),
            best_case_open=_category_sum(ForecastCategory.BEST_CASE),
            pipeline_open=_category_sum(ForecastCategory.PIPELINE),
            weighted=models.Sum(
                models.Case(
                    models.When(~models.Q(category=ForecastCategory.OMITTED), then=weighted_cents()),
                    default=models.Value(0),
                    output_field=models.BigIntegerField(),
                )
            ),
        )
    )
    by_owner: dict[tuple[Any, str], Figures] = {}
    for row in won_rows:
        by_owner.setdefault((row["owner_id"], row["currency"]), Figures()).won = from_cents(row["won"])
    for row in open_rows:
        figures = by_owner.setdefault((row["owner_id"], row["currency"]), Figures())
        figures.commit_open = from_cents(row["commit_open"])
        figures.best_case_open = from_cents(row["best_case_open"])
        figures.pipeline_open = from_cents(row["pipeline_open"])
        figures.weighted = from_cents(row["weighted"])
    _add_quotas(actor, period, by_owner)
    members = {
        m.user_id: m for m in Membership.objects.filter(workspace_id=actor.workspace.pk).select_related("user", "team")
    }
    if group_by == "team":
        return _by_team(actor, by_owner, members)
    result = []
    for (owner_id, currency), figures in by_owner.items():
        member = members.get(owner_id)
        label = str(member.user.get_full_name() or member.user.email) if member else "No owner"
        result.append(ForecastRow(key=owner_id, label=label, currency=currency, figures=figures))
    return sorted(result, key=lambda r: (r.currency, r.label.lower()))


def _add_quotas(actor: Actor, period: Period, by_owner: dict[tuple[Any, str], Figures]) -> None:
    """Attach each person's quota: one for the exact period, or the sum of its months' quotas."""
    quotas = Quota.objects.filter(workspace_id=actor.workspace.pk).filter(
        models.Q(period=period.kind, period_start=period.start)
        | models.Q(period=PeriodKind.MONTH, period_start__gte=period.start, period_start__lt=period.end)
    )
    visible_ids = actor.scope_user_ids
    exact: dict[tuple[int, str], Decimal] = {}
    monthly: dict[tuple[int, str], Decimal] = {}
    for quota in quotas:
        if visible_ids is not None and quota.user_id not in visible_ids:
            continue
        key = (quota.user_id, quota.currency)
        if quota.period == period.kind and quota.period_start == period.start:
            exact[key] = quota.amount
        else:
            monthly[key] = monthly.get(key, ZERO) + quota.amount
    for key in set(exact) | set(monthly):
        by_owner.setdefault(key, Figures()).quota = exact.get(key, monthly.get(key))


def _by_team(
    actor: Actor, by_owner: dict[tuple[Any, str], Figures], members: dict[int, Membership]
) -> list[ForecastRow]:
    teams = {t.pk: t.name for t in Team.objects.filter(workspace_id=actor.workspace.pk)}
    grouped: dict[tuple[Any, str], ForecastRow] = {}
    for (owner_id, currency), figures in by_owner.items():
        member = members.get(owner_id)
        team_id = member.team_id if member else None
        row = grouped.setdefault(
            (team_id, currency),
            ForecastRow(key=team_id, label=teams.get(team_id, "No team"), currency=currency),
        )
        row.figures.add(figures)
    return sorted(grouped.values(), key=lambda r: (r.currency, r.label.lower()))


def totals(rows: list[ForecastRow]) -> list[ForecastRow]:
    """One total row per currency."""
    result: dict[str, ForecastRow] = {}
    for row in rows:
        total = result.setdefault(row.currency, ForecastRow(key=None, label="Total", currency=row.currency))
        total.figures.add(row.figures)
    return [result[c] for c in sorted(result)]
