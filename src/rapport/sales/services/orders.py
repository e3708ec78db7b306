"""Writes for orders: from a won deal, from an accepted quote, typed in directly, or imported.

An order's balance is its total less what was paid (nothing for a cancelled order); a customer's
balance is the sum over their orders (see selectors.customer_balance).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.core import services as core_services
from rapport.core.permissions import Actor
from rapport.sales.models import Deal, Order, OrderLine, OrderStatus, Quote
from rapport.sales.money import normalise_currency
from rapport.sales.services.common import (
    apply_fields,
    check_version,
    event,
    next_number,
    reject_unknown,
    require_change,
    touch,
)
from rapport.sales.services.lines import LINE_FIELDS, copy_lines, fill_line, next_position
from rapport.sales.services.quotes import compute_totals

ORDER_FIELDS = (
    "ordered_on",
    "currency",
    "status",
    "amount_paid",
    "external_ref",
    "notes",
    "owner",
    "deal",
    "company",
    "contact",
)
EDIT_FIELDS = ("ordered_on", "status", "amount_paid", "external_ref", "notes", "owner", "company", "contact")
ZERO = Decimal("0")


def _check_payment(order: Order) -> None:
    if order.amount_paid < 0:
        raise ValidationError({"amount_paid": "The amount paid cannot be negative."})
    if order.amount_paid > order.total:
        raise ValidationError(
            {"amount_paid": f"The amount paid is more than the order total ({order.currency} {order.total})."}
        )
    if order.status == OrderStatus.PAID and order.amount_paid != order.total:
        raise ValidationError({"amount_paid": "A paid order has its whole total paid."})


def _save_new(order: Order, lines: list[OrderLine]) -> Order:
    order.number = next_number("order")
    compute_totals(order, lines)
    if order.status == OrderStatus.PAID and not order.amount_paid:
        order.amount_paid = order.total
    _check_payment(order)
    order.save()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    return order


def order_create(*, actor: Actor, data: dict[str, Any], lines: list[dict[str, Any]] | None = None) -> Order:
    """An order typed in (or imported) directly, with its lines."""
    if not actor.can("records.create"):
        raise PermissionDenied("You may not create orders.")
    reject_unknown(data, ORDER_FIELDS)
    data = dict(data)
    data["currency"] = normalise_currency(data.get("currency") or actor.workspace.default_currency)
    data.setdefault("ordered_on", timezone.localdate())
    data.setdefault("owner", actor.user)
    order = Order(number=0)
    apply_fields(order, data, exclude=["number"])
    built = []
    errors: dict[str, list[str]] = {}
    for index, line_data in enumerate(lines or [], start=1):
        line = OrderLine(workspace_id=order.workspace_id, position=index)
        try:
            fill_line(line, line_data, currency=order.currency, exclude=("order",))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"lines[{index}].{field}", []).extend(messages)
        built.append(line)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return _save_new(order, built)


def order_from_deal(*, actor: Actor, deal: Deal) -> Order:
    """The order of a won deal: its lines, or one line for its amount."""
    require_change(actor, deal)
    source = list(deal.line_items.all())
    order = Order(number=0, deal=deal, currency=deal.currency, ordered_on=timezone.localdate(), owner=deal.owner)
    order.workspace_id = deal.workspace_id
    if source:
        lines = copy_lines(source, OrderLine)
    else:
        line = OrderLine(workspace_id=deal.workspace_id, name=deal.name, quantity=1, unit_price=deal.amount, position=1)
        line.compute()
        lines = [line]
    _copy_customer(order, deal)
    with transaction.atomic():
        return _save_new(order, lines)


def order_from_quote(*, actor: Actor, quote: Quote) -> Order:
    require_change(actor, quote)
    if Order.all_objects.filter(quote=quote).exists():
        raise ValidationError({"quote": "This quote already has an order."})
    order = Order(
        number=0,
        deal=quote.deal,
        quote=quote,
        currency=quote.currency,
        ordered_on=timezone.localdate(),
        owner=quote.owner,
    )
    order.workspace_id = quote.workspace_id
    _copy_customer(order, quote.deal)
    with transaction.atomic():
        return _save_new(order, copy_lines(list(quote.lines.all()), OrderLine))


def _copy_customer(order: Order, deal: Deal) -> None:
    """The order's customer is the deal's company and its primary contact."""
    from rapport.sales.services.customers import primary_contact_id

    order.company_id = deal.company_id
    order.contact_id = primary_contact_id(deal)


def order_update(*, actor: Actor, order: Order, data: dict[str, Any], expected_version: int | None = None) -> bool:
    """Record a payment, invoice, cancel or correct an order. Marking it paid fills the amount paid."""
    require_change(actor, order)
    check_version(order, expected_version)
    reject_unknown(data, EDIT_FIELDS)
    data = dict(data)
    if data.get("status") == OrderStatus.PAID and "amount_paid" not in data:
        data["amount_paid"] = order.total
    apply_fields(order, data)
    _check_payment(order)
    if not order.changed_fields():
        return False
    with transaction.atomic():
        order.save()
    return True


def _resave_totals(order: Order) -> None:
    compute_totals(order, order.lines.all())
    _check_payment(order)
    if order.changed_fields():
        order.save()
    else:
        touch(order)


def _require_open(order: Order) -> None:
    if not order.is_editable:
        raise ValidationError({"status": f"This order is {order.get_status_display().lower()}: its lines are final."})


def order_line_add(
    *, actor: Actor, order: Order, data: dict[str, Any], expected_version: int | None = None
) -> OrderLine:
    require_change(actor, order)
    check_version(order, expected_version)
    _require_open(order)
    reject_unknown(data, LINE_FIELDS)
    line = OrderLine(workspace_id=order.workspace_id, order=order, position=next_position(order.lines.all()))
    fill_line(line, data, currency=order.currency)
    with transaction.atomic():
        line.save()
        event(order, {"line added": [None, str(line)]})
        _resave_totals(order)
    return line


def order_line_remove(*, actor: Actor, order: Order, line: OrderLine, expected_version: int | None = None) -> None:
    require_change(actor, order)
    check_version(order, expected_version)
    _require_open(order)
    if line.order_id != order.pk:
        raise ValidationError({"line": "This line belongs to another order."})
    with transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).hard_delete()  # a part of the order; History keeps the trace
        event(order, {"line removed": [str(line), None]})
        _resave_totals(order)


def orders_import(*, actor: Actor, rows: list[dict[str, Any]]) -> list[Order]:
    """Create many orders at once, all or nothing. Errors name the row: ``{"rows[3].currency": [...]}``."""
    created: list[Order] = []
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        for index, row in enumerate(rows, start=1):
            row = dict(row)
            lines = row.pop("lines", None) or []
            try:
                with transaction.atomic():
                    created.append(order_create(actor=actor, data=row, lines=lines))
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.setdefault(f"rows[{index}].{field}", []).extend(messages)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(errors)
    return created


def order_delete(*, actor: Actor, order: Order, expected_version: int | None = None) -> None:
    core_services.record_delete(actor=actor, record=order, expected_version=expected_version)
