"""Demo sales data: two pipelines, a catalogue, ~150 deals with stage history, quotes, orders, quotas.

Deterministic (a seeded random generator) and idempotent (does nothing when the demo pipeline
exists). Uses the workspace's companies and contacts when the contacts demo made some.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rapport.contacts.models import Company, Contact, ContactRoleKind
from rapport.core.models import Membership, Workspace
from rapport.core.permissions import actor_for
from rapport.core.roles import Role
from rapport.core.scoping import current_audit
from rapport.sales.forecast import Period
from rapport.sales.models import (
    Deal,
    DealContact,
    DealSource,
    DealStageChange,
    DealStatus,
    ForecastCategory,
    LostReason,
    PeriodKind,
    Pipeline,
    Product,
    ProductPrice,
    Quota,
)
from rapport.sales.services import lines as line_services
from rapport.sales.services import orders as order_services
from rapport.sales.services import quotes as quote_services
from rapport.sales.services.pipelines import STANDARD_LOST_REASONS

DEMO_PIPELINE = "New business"
DEALS = 150
PRODUCTS = [
    ("RAP-SEAT", "Rapport seat, yearly", "One user for a year.", "20", {"USD": "480.00", "EUR": "440.00"}),
    (
        "RAP-ONB",
        "Onboarding package",
        "Two remote workshops and data import.",
        "20",
        {"USD": "2500.00", "EUR": "2300.00"},
    ),
    ("RAP-SUP", "Premium support", "Four-hour response, named engineer.", "20", {"USD": "1200.00", "EUR": "1100.00"}),
    (
        "RAP-TRN",
        "Training day",
        "On-site training for up to twelve people.",
        "20",
        {"USD": "1800.00", "EUR": "1650.00"},
    ),
    ("RAP-INT", "Integration sprint", "Two weeks of integration work.", "20", {"USD": "9000.00", "EUR": "8300.00"}),
    ("RAP-API", "Extra API capacity", "One million extra calls a month.", "20", {"USD": "300.00"}),
]
NAMES = ["Expansion", "Renewal", "Pilot", "Rollout", "Upgrade", "Team licences", "Enterprise plan", "Add-on"]


def _acting_user(workspace: Workspace):
    user = current_audit().actor
    if getattr(user, "pk", None):
        return user
    membership = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user").first()
    return membership.user if membership else None


def load_demo(workspace: Workspace) -> str:
    if Pipeline.all_objects.filter(workspace=workspace, name=DEMO_PIPELINE).exists():
        return "sales: demo data already loaded"
    user = _acting_user(workspace)
    actor = actor_for(user, workspace) if user else None
    if actor is None:
        return "sales: no owner to load demo data as"
    rng = random.Random(f"rapport-sales-{workspace.slug}")  # noqa: S311 - demo data, not security
    with transaction.atomic():
        pipelines = _pipelines(workspace)
        products = _products(workspace)
        deals = _deals(workspace, rng, pipelines)
        _lines(actor, rng, deals, products)
        quotes, orders = _documents(actor, rng, deals)
        _quotas(workspace)
    return f"sales: {len(deals)} deals, {len(products)} products, {quotes} quotes, {orders} orders"


def _pipelines(workspace: Workspace) -> dict[str, list]:
    from rapport.sales.models import Stage

    specs = {
        DEMO_PIPELINE: [
            ("Lead qualified", 10, 14, ForecastCategory.PIPELINE),
            ("Discovery call", 25, 21, ForecastCategory.PIPELINE),
            ("Proposal sent", 50, 14, ForecastCategory.BEST_CASE),
            ("In negotiation", 75, 10, ForecastCategory.COMMIT),
        ],
        "Renewals": [
            ("Renewal upcoming", 60, 30, ForecastCategory.BEST_CASE),
            ("Renewal in talks", 80, 14, ForecastCategory.COMMIT),
        ],
    }
    result = {}
    for position, (name, stages) in enumerate(specs.items(), start=1):
        pipeline = Pipeline.objects.create(workspace=workspace, name=name, position=position)
        result[name] = [
            Stage.objects.create(
                workspace=workspace,
                pipeline=pipeline,
                name=stage_name,
                position=index,
                probability=probability,
                rotting_days=rotting,
                forecast_category=category,
            )
            for index, (stage_name, probability, rotting, category) in enumerate(stages, start=1)
        ]
    if not LostReason.objects.filter(workspace=workspace).exists():
        for position, name in enumerate(STANDARD_LOST_REASONS, start=1):
            LostReason.objects.create(workspace=workspace, name=name, position=position)
    return result


def _products(workspace: Workspace) -> list[Product]:
    products = []
    for sku, name, description, tax, prices in PRODUCTS:
        product = Product.objects.create(
            workspace=workspace, sku=sku, name=name, description=description, tax_rate=Decimal(tax)
        )
        for currency, amount in prices.items():
            ProductPrice.objects.create(
                workspace=workspace, product=product, currency=currency, unit_price=Decimal(amount)
            )
        products.append(product)
    return products


def _deals(workspace: Workspace, rng: random.Random, pipelines: dict[str, list]) -> list[Deal]:
    owners = list(
        Membership.objects.filter(
            workspace=workspace, is_active=True, role__in=[Role.SALES, Role.MANAGER, Role.OWNER]
        ).values_list("user_id", flat=True)
    ) or [None]
    companies = list(Company.objects.filter(workspace=workspace).order_by("id")[:60])
    contacts_by_company: dict[int, list[int]] = {}
    for contact_id, company_id in Contact.objects.filter(workspace=workspace, company__in=companies).values_list(
        "id", "company_id"
    ):
        contacts_by_company.setdefault(company_id, []).append(contact_id)
    reasons = list(LostReason.objects.filter(workspace=workspace))
    now = timezone.now()
    today = timezone.localdate()
    deals: list[Deal] = []
    changes: list[DealStageChange] = []
    contact_rows: list[DealContact] = []
    for index in range(DEALS):
        pipeline_name = DEMO_PIPELINE if index % 5 else "Renewals"
        stages = pipelines[pipeline_name]
        company = companies[index % len(companies)] if companies else None
        roll = rng.random()
        status = DealStatus.WON if roll < 0.2 else DealStatus.LOST if roll < 0.32 else DealStatus.OPEN
        reached = rng.randrange(len(stages))
        name = f"{company.name if company else 'Demo customer'}: {rng.choice(NAMES)}"
        step_days = [rng.randrange(2, 25) for _ in range(reached + 1)]
        created = now - datetime.timedelta(days=sum(step_days) + rng.randrange(1, 90), hours=rng.randrange(24))
        entered = created + datetime.timedelta(days=sum(step_days[:reached]))
        closed = entered + datetime.timedelta(days=step_days[-1]) if status != DealStatus.OPEN else None
        deal = Deal.objects.create(
            workspace=workspace,
            name=name[:200],
            pipeline=stages[0].pipeline,
            stage=stages[reached],
            status=status,
            amount=Decimal(rng.randrange(20, 800) * 50),
            currency="USD" if index % 7 else "EUR",
            expected_close_date=today + datetime.timedelta(days=rng.randrange(-20, 120)),
            owner_id=owners[index % len(owners)],
            company=company,
            source=rng.choice(DealSource.values),
            next_step="Send the proposal" if status == DealStatus.OPEN and index % 3 == 0 else "",
            lost_reason=rng.choice(reasons) if status == DealStatus.LOST and reasons else None,
            closed_at=closed,
            stage_entered_at=entered if status == DealStatus.OPEN else (closed or entered),
            created_at=created,
        )
        at, previous = created, None
        for position in range(reached + 1):
            changes.append(
                DealStageChange(
                    workspace=workspace,
                    deal=deal,
                    from_stage=previous,
                    to_stage=stages[position],
                    from_status=DealStatus.OPEN if previous else "",
                    to_status=DealStatus.OPEN,
                    at=at,
                    seconds_in_previous=step_days[position - 1] * 86400 if previous else None,
                )
            )
            previous = stages[position]
            at = at + datetime.timedelta(days=step_days[position])
        if closed:
            changes.append(
                DealStageChange(
                    workspace=workspace,
                    deal=deal,
                    from_stage=previous,
                    to_stage=previous,
                    from_status=DealStatus.OPEN,
                    to_status=status,
                    at=closed,
                    seconds_in_previous=int((closed - entered).total_seconds()),
                )
            )
        people = contacts_by_company.get(company.pk, []) if company else []
        for position, contact_id in enumerate(people[:2]):
            contact_rows.append(
                DealContact(
                    workspace=workspace,
                    deal=deal,
                    contact_id=contact_id,
                    role=ContactRoleKind.DECISION_MAKER if position == 0 else ContactRoleKind.CHAMPION,
                    is_primary=position == 0,
                )
            )
        deals.append(deal)
    DealStageChange.objects.bulk_create(changes, batch_size=500)
    DealContact.objects.bulk_create(contact_rows, batch_size=500)
    return deals


def _lines(actor, rng: random.Random, deals: list[Deal], products: list[Product]) -> None:
    for deal in deals[:30]:
        if deal.currency != "USD":
            continue
        for product in rng.sample(products, 2):
            line_services.deal_line_add(
                actor=actor, deal=deal, data={"product": product, "quantity": Decimal(rng.randrange(1, 25))}
            )


def _documents(actor, rng: random.Random, deals: list[Deal]) -> tuple[int, int]:
    quotes = orders = 0
    for deal in [d for d in deals if d.status == DealStatus.OPEN][:12]:
        quote = quote_services.quote_create(actor=actor, deal=deal)
        quotes += 1
        if quotes % 3 == 0:
            quote_services.quote_send(actor=actor, quote=quote)
    for deal in [d for d in deals if d.status == DealStatus.WON][:15]:
        order = order_services.order_from_deal(actor=actor, deal=deal)
        orders += 1
        paid = [Decimal("0"), order.total / 2, order.total][orders % 3].quantize(Decimal("0.01"))
        status = "paid" if paid == order.total else "invoiced" if paid else "open"
        order_services.order_update(actor=actor, order=order, data={"amount_paid": paid, "status": status})
    return quotes, orders


def _quotas(workspace: Workspace) -> None:
    quarter = Period.containing(PeriodKind.QUARTER, timezone.localdate())
    for user_id in Membership.objects.filter(workspace=workspace, role=Role.SALES, is_active=True).values_list(
        "user_id", flat=True
    ):
        Quota.objects.create(
            workspace=workspace,
            user_id=user_id,
            period=PeriodKind.QUARTER,
            period_start=quarter.start,
            amount=Decimal("60000"),
            currency="USD",
        )
