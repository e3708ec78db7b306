"""Record-page panels that sales adds to contacts and companies (contacts never imports sales)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from rapport.core.permissions import Actor
from rapport.sales import selectors
from rapport.sales.models import DealStatus

SHOWN = 10


def _deals_context(actor: Actor, deals) -> dict[str, Any]:
    open_deals = list(
        deals.filter(status=DealStatus.OPEN).select_related("stage").order_by("expected_close_date", "id")[:SHOWN]
    )
    recent_closed = list(
        deals.exclude(status=DealStatus.OPEN).select_related("stage").order_by("-closed_at", "-id")[:5]
    )
    return {"open_deals": open_deals, "closed_deals": recent_closed, "can_create": actor.can("records.create")}


def company_deals(actor: Actor, company: Any) -> dict[str, Any]:
    context = _deals_context(actor, selectors.visible_deals(actor).filter(company=company))
    context["new_url"] = f"{reverse('sales:deal_create')}?company={company.pk}"
    return context


def contact_deals(actor: Actor, contact: Any) -> dict[str, Any]:
    deals = selectors.visible_deals(actor).filter(deal_contacts__contact=contact).distinct()
    context = _deals_context(actor, deals)
    context["new_url"] = f"{reverse('sales:deal_create')}?company={contact.company_id or ''}"
    return context


def _orders_context(actor: Actor, **customer: Any) -> dict[str, Any]:
    orders = list(selectors.visible_orders(actor).filter(**customer).order_by("-ordered_on", "-number")[:SHOWN])
    return {"orders": orders, "balances": selectors.customer_balance(actor, **customer)}


def company_orders(actor: Actor, company: Any) -> dict[str, Any]:
    context = _orders_context(actor, company=company)
    context["new_url"] = f"{reverse('sales:order_create')}?company={company.pk}"
    return context


def contact_orders(actor: Actor, contact: Any) -> dict[str, Any]:
    context = _orders_context(actor, contact=contact)
    context["new_url"] = f"{reverse('sales:order_create')}?contact={contact.pk}"
    return context
