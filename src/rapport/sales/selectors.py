"""Reads for sales, always through the permission layer (``visible``), with the joins pages need."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from rapport.contacts.models import Company
from rapport.core.models import Membership
from rapport.core.permissions import Actor, get_visible_or_404, visible
from rapport.sales.models import (
    Deal,
    DealStageChange,
    DealStatus,
    LostReason,
    Order,
    OrderStatus,
    Pipeline,
    Product,
    Quote,
    Stage,
)

CARDS_PER_COLUMN = 500
CENTS = Decimal(100)


# --- Money sums that stay exact on SQLite too --------------------------------------------------


def cents_sum(expression: Any) -> models.Sum:
    """SUM of an amount as integer cents: SQLite keeps decimals as floating point, integers exactly."""
    return models.Sum(Cast(Round(expression * 100), models.BigIntegerField()))


def from_cents(value: int | None) -> Decimal:
    return (Decimal(value or 0) / CENTS).quantize(Decimal("0.01"))


def effective_probability() -> Coalesce:
    return Coalesce("probability", "stage__probability")


def effective_category() -> Coalesce:
    return Coalesce(models.functions.NullIf("forecast_category", models.Value("")), "stage__forecast_category")


def weighted_cents() -> Cast:
    """amount x probability / 100, in cents: ROUND(amount x probability)."""
    return Cast(Round(models.F("amount") * effective_probability()), models.BigIntegerField())


def weighted_cents_sum() -> models.Sum:
    return models.Sum(weighted_cents())


@dataclass
class MoneyByCurrency:
    """Amounts kept apart per currency (no conversion), shown like “USD 1,200.00 · EUR 300.00”."""

    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, amount: Decimal) -> None:
        self.amounts[currency] = self.amounts.get(currency, Decimal("0.00")) + amount

    def items(self) -> list[tuple[str, Decimal]]:
        return sorted(self.amounts.items())

    def __bool__(self) -> bool:
        return any(self.amounts.values())

    def __str__(self) -> str:
        return " · ".join(f"{c} {a:,.2f}" for c, a in self.items()) or "0.00"


# --- Pipelines and deals ------------------------------------------------------------------------


def pipelines_for(actor: Actor) -> models.QuerySet:
    return Pipeline.objects.filter(workspace_id=actor.workspace.pk).order_by("position", "id")


def stages_for(actor: Actor, pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(workspace_id=actor.workspace.pk, pipeline=pipeline).order_by("position", "id"))


def lost_reasons_for(actor: Actor) -> models.QuerySet:
    return LostReason.objects.filter(workspace_id=actor.workspace.pk, active=True)


def visible_deals(actor: Actor) -> models.QuerySet:
    return visible(Deal.objects.all(), actor)


def deal_for(actor: Actor, pk: Any, *, for_change: bool = False) -> Deal:
    return get_visible_or_404(Deal, actor, pk, for_change=for_change)


@dataclass
class DealFilters:
    owner_id: int | None = None
    team_id: int | None = None
    close_from: datetime.date | None = None
    close_to: datetime.date | None = None
    tag_id: int | None = None
    status: str | None = None
    pipeline_id: int | None = None
    query: str = ""

    def apply(self, queryset: models.QuerySet, actor: Actor) -> models.QuerySet:
        if self.owner_id:
            queryset = queryset.filter(owner_id=self.owner_id)
        if self.team_id:
            members = Membership.objects.filter(workspace_id=actor.workspace.pk, team_id=self.team_id)
            queryset = queryset.filter(owner_id__in=members.values("user_id"))
        if self.close_from:
            queryset = queryset.filter(expected_close_date__gte=self.close_from)
        if self.close_to:
            queryset = queryset.filter(expected_close_date__lte=self.close_to)
        if self.tag_id:
            queryset = _filter_tag(queryset, self.tag_id)
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.pipeline_id:
            queryset = queryset.filter(pipeline_id=self.pipeline_id)
        if self.query:
            queryset = queryset.filter(name__icontains=self.query)
        return queryset


def _filter_tag(queryset: models.QuerySet, tag_id: int) -> models.QuerySet:
    try:
        from django.contrib.contenttypes.models import ContentType

        from rapport.tags.services import tagged_q
    except ImportError:  # pragma: no cover - tags is installed with sales
        return queryset
    return queryset.filter(tagged_q(ContentType.objects.get_for_model(Deal), [tag_id]))


@dataclass
class Card:
    """What a board card shows: read as plain values (no model instances), 2,000 at a time."""

    pk: int
    name: str
    version: int
    amount: Decimal
    currency: str
    stage_id: int
    expected_close_date: datetime.date | None
    stage_entered_at: datetime.datetime
    owner_name: str = ""
    company_name: str = ""
    tags: list[Any] = field(default_factory=list)
    rotting: bool = False
    stage_days: int = 0

    @property
    def html(self) -> str:
        from rapport.sales.cards import card_html

        return card_html(self)

    def mark(self, stage: Stage, now: datetime.datetime) -> None:
        self.stage_days = (now - self.stage_entered_at).days
        self.rotting = stage.rotting_days is not None and self.stage_days >= stage.rotting_days

    @classmethod
    def from_deal(cls, deal: Deal) -> Card:
        owner = deal.owner
        return cls(
            pk=deal.pk,
            name=deal.name,
            version=deal.version,
            amount=deal.amount,
            currency=deal.currency,
            stage_id=deal.stage_id,
            expected_close_date=deal.expected_close_date,
            stage_entered_at=deal.stage_entered_at,
            owner_name=_short_name(owner.full_name, owner.email) if owner else "",
            company_name=deal.company.name if deal.company_id else "",
            tags=_tags_by_deal([deal.pk]).get(deal.pk, []),
        )


CARD_FIELDS = (
    "pk",
    "name",
    "version",
    "amount",
    "currency",
    "stage_id",
    "expected_close_date",
    "stage_entered_at",
    "owner__full_name",
    "owner__email",
    "company_id",  # names in a second query: a join made the planner scan every company
)


def _short_name(full_name: str | None, email: str | None) -> str:
    if full_name:
        return full_name.split(" ")[0]
    return (email or "").split("@")[0]


def _tags_by_deal(ids: list[int] | models.QuerySet) -> dict[int, list[Any]]:
    """Live tags of many deals in one query (a GenericRelation prefetch costs a queryset per deal).

    ``ids`` may be a queryset of deal ids: a subquery, rather than thousands of parameters.
    """
    from django.contrib.contenttypes.models import ContentType

    from rapport.tags.models import TaggedItem

    result: dict[int, list[Any]] = {}
    items = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Deal), object_id__in=ids, tag__deleted_at__isnull=True
    ).select_related("tag")
    for item in items.order_by("tag__name"):
        result.setdefault(item.object_id, []).append(item.tag)
    return result


@dataclass
class Column:
    stage: Stage
    deals: list[Card]
    count: int = 0
    total: MoneyByCurrency = field(default_factory=MoneyByCurrency)
    weighted: MoneyByCurrency = field(default_factory=MoneyByCurrency)

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.deals))

    @property
    def cards_html(self) -> str:
        from rapport.sales.cards import cards_html

        return cards_html(self.deals)


def card_queryset(queryset: models.QuerySet) -> models.QuerySet:
    """Deals for the table view: the joins a row shows, in one query."""
    return queryset.select_related("owner", "stage", "company")


def _open_deals(actor: Actor, pipeline: Pipeline, filters: DealFilters | None) -> models.QuerySet:
    deals = visible_deals(actor).filter(pipeline=pipeline, status=DealStatus.OPEN)
    return filters.apply(deals, actor) if filters else deals


def _add_totals(deals: models.QuerySet, columns: dict[int, Column]) -> None:
    totals = (
        deals.order_by()
        .values("stage_id", "currency")
        .annotate(n=models.Count("id"), total=cents_sum(models.F("amount")), weighted=weighted_cents_sum())
    )
    for row in totals:
        column = columns.get(row["stage_id"])
        if column is None:
            continue
        column.count += row["n"]
        column.total.add(row["currency"], from_cents(row["total"]))
        column.weighted.add(row["currency"], from_cents(row["weighted"]))


def board(actor: Actor, pipeline: Pipeline, filters: DealFilters | None = None) -> list[Column]:
    """The board of one pipeline: a column per stage with its open deals, count, total, weighted total.

    A fixed number of queries whatever the number of deals: stages, totals, cards (the first
    ``CARDS_PER_COLUMN`` of each column, by a window function), and the tag prefetch.
    """
    stages = stages_for(actor, pipeline)
    deals = _open_deals(actor, pipeline, filters)
    columns = {stage.pk: Column(stage=stage, deals=[]) for stage in stages}
    _add_totals(deals, columns)
    order = [models.F("expected_close_date").asc(nulls_last=True), models.F("id").asc()]
    if all(column.count <= CARDS_PER_COLUMN for column in columns.values()):
        rows = deals.order_by("stage_id", *order)  # everything fits: no window function needed
    else:
        # Rank the bare deals (no joins) and join owner and company for the shown cards only.
        rank = models.Window(models.functions.RowNumber(), partition_by=[models.F("stage_id")], order_by=order)
        # (Two queries: as a subquery, the planner cannot tell how few rows the ranking keeps.)
        shown = list(deals.annotate(rank=rank).filter(rank__lte=CARDS_PER_COLUMN).values_list("pk", flat=True))
        rows = Deal.objects.filter(pk__in=shown).order_by("stage_id", *order)
    card_rows = list(rows.values(*CARD_FIELDS))
    company_ids = {row["company_id"] for row in card_rows if row["company_id"]}
    company_names = dict(Company.objects.filter(pk__in=company_ids).values_list("pk", "name")) if company_ids else {}
    cards = [
        Card(
            pk=row["pk"],
            name=row["name"],
            version=row["version"],
            amount=row["amount"],
            currency=row["currency"],
            stage_id=row["stage_id"],
            expected_close_date=row["expected_close_date"],
            stage_entered_at=row["stage_entered_at"],
            owner_name=_short_name(row["owner__full_name"], row["owner__email"]),
            company_name=company_names.get(row["company_id"], ""),
        )
        for row in card_rows
    ]
    tags = _tags_by_deal([card.pk for card in cards]) if cards else {}
    now = timezone.now()
    for card in cards:
        column = columns.get(card.stage_id)
        if column is not None:
            card.tags = tags.get(card.pk, [])
            card.mark(column.stage, now)
            column.deals.append(card)
    return list(columns.values())


def board_columns(
    actor: Actor, pipeline: Pipeline, stage_ids: list[int], filters: DealFilters | None = None
) -> list[Column]:
    """Fresh headers (count, totals) of some columns, after a move."""
    stages = Stage.objects.filter(workspace_id=actor.workspace.pk, pipeline=pipeline, pk__in=stage_ids)
    columns = {stage.pk: Column(stage=stage, deals=[]) for stage in stages}
    _add_totals(_open_deals(actor, pipeline, filters).filter(stage_id__in=stage_ids), columns)
    return list(columns.values())


# --- Catalogue, quotes, orders -------------------------------------------------------------------


def products_for(actor: Actor, *, active_only: bool = False) -> models.QuerySet:
    queryset = Product.objects.filter(workspace_id=actor.workspace.pk).prefetch_related("prices")
    return queryset.filter(active=True) if active_only else queryset


def visible_quotes(actor: Actor) -> models.QuerySet:
    return visible(Quote.objects.all(), actor).select_related("deal", "owner")


def visible_orders(actor: Actor) -> models.QuerySet:
    return visible(Order.objects.all(), actor).select_related("deal", "owner")


@dataclass
class Balance:
    currency: str
    total: Decimal
    paid: Decimal

    @property
    def due(self) -> Decimal:
        return self.total - self.paid


def customer_balance(actor: Actor, **customer: Any) -> list[Balance]:
    """What a customer (``company=…`` or ``contact=…``) has ordered, paid and still owes, per currency.

    Cancelled orders count for nothing. Only orders the actor may see are summed.
    """
    orders = visible_orders(actor).filter(**customer).exclude(status=OrderStatus.CANCELLED)
    rows = (
        orders.order_by()
        .values("currency")
        .annotate(total=cents_sum(models.F("total")), paid=cents_sum(models.F("amount_paid")))
        .order_by("currency")
    )
    return [Balance(row["currency"], from_cents(row["total"]), from_cents(row["paid"])) for row in rows]


# --- Stage analytics ----------------------------------------------------------------------------


@dataclass
class StageStats:
    stage: Stage
    entered: int  # deals that ever entered the stage
    avg_days: Decimal | None  # average time spent in it before moving on
    conversion: Decimal | None  # % of those that reached a later stage or were won


def stage_stats(actor: Actor, pipeline: Pipeline) -> list[StageStats]:
    """Time in stage and stage-to-next conversion from the stage history (visible deals only)."""
    stages = stages_for(actor, pipeline)
    changes = DealStageChange.objects.filter(deal__in=visible_deals(actor).filter(pipeline=pipeline).values("pk"))
    entered = dict(
        changes.exclude(from_stage=models.F("to_stage"))
        .values("to_stage_id")
        .annotate(n=models.Count("deal_id", distinct=True))
        .values_list("to_stage_id", "n")
    )
    durations = dict(
        changes.exclude(from_stage__isnull=True)
        .exclude(seconds_in_previous__isnull=True)
        .filter(from_status=DealStatus.OPEN)
        .values("from_stage_id")
        .annotate(avg=models.Avg("seconds_in_previous"))
        .values_list("from_stage_id", "avg")
    )
    won_from = dict(
        changes.filter(to_status=DealStatus.WON)
        .values("to_stage_id")
        .annotate(n=models.Count("deal_id", distinct=True))
        .values_list("to_stage_id", "n")
    )
    result = []
    for index, stage in enumerate(stages):
        reached_later = sum(entered.get(s.pk, 0) for s in stages[index + 1 : index + 2])
        count = entered.get(stage.pk, 0)
        onwards = reached_later + (won_from.get(stage.pk, 0) if index == len(stages) - 1 else 0)
        avg = durations.get(stage.pk)
        result.append(
            StageStats(
                stage=stage,
                entered=count,
                avg_days=Decimal(avg / 86400).quantize(Decimal("0.1")) if avg is not None else None,
                conversion=(Decimal(onwards * 100) / count).quantize(Decimal("1")) if count else None,
            )
        )
    return result


def sales_cycle_days(actor: Actor, pipeline: Pipeline | None = None) -> Decimal | None:
    """Average days from creation to winning, over won deals the actor sees."""
    won = visible_deals(actor).filter(status=DealStatus.WON, closed_at__isnull=False)
    if pipeline is not None:
        won = won.filter(pipeline=pipeline)
    seconds = [
        (closed - created).total_seconds() for created, closed in won.values_list("created_at", "closed_at")[:5000]
    ]
    if not seconds:
        return None
    return Decimal(sum(seconds) / len(seconds) / 86400).quantize(Decimal("0.1"))
