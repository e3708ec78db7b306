from __future__ import annotations

from decimal import Decimal

from django import template

from rapport.sales.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """``{{ deal.amount|money:deal.currency }}`` → “USD 1,250.00”."""
    return format_money(amount, currency) if currency else (f"{amount:,.2f}" if amount is not None else "—")


@register.filter
def percent(value: Decimal | int | None) -> str:
    return "—" if value is None else f"{value}%"


@register.filter
def days(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds / 86400:.1f} days"
