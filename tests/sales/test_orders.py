from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rapport.sales.models import Order, OrderStatus
from rapport.sales.selectors import customer_balance
from rapport.sales.services import orders as order_services


def _order(acting, cast, lines, **data):
    with acting(cast.sales, cast.workspace) as actor:
        return order_services.order_create(actor=actor, data={"currency": "EUR", **data}, lines=lines)


def test_an_order_totals_its_lines(cast, acting):
    order = _order(acting, cast, [{"name": "A", "quantity": 2, "unit_price": Decimal("10"), "tax_rate": 20}])
    assert (order.subtotal, order.tax_total, order.total) == (Decimal("20.00"), Decimal("4.00"), Decimal("24.00"))
    assert order.balance == Decimal("24.00")


def test_orders_are_numbered_per_workspace(cast, acting):
    first = _order(acting, cast, [{"name": "A", "unit_price": 1}])
    second = _order(acting, cast, [{"name": "B", "unit_price": 1}])
    assert second.number == first.number + 1


def test_a_bad_line_names_its_position_and_nothing_is_saved(cast, acting):
    with pytest.raises(ValidationError) as error:
        _order(acting, cast, [{"name": "A", "unit_price": 1}, {"name": "B", "unit_price": 1, "quantity": -1}])
    assert "lines[2].quantity" in error.value.message_dict
    assert not Order.all_objects.exists()


def test_an_unknown_currency_is_refused(cast, acting):
    with pytest.raises(ValidationError) as error:
        _order(acting, cast, [{"name": "A", "unit_price": 1}], currency="EURO")
    assert "currency" in error.value.message_dict


def test_paying_more_than_the_total_is_refused(cast, acting):
    order = _order(acting, cast, [{"name": "A", "unit_price": Decimal("50")}])
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        order_services.order_update(actor=actor, order=order, data={"amount_paid": Decimal("60")})
    assert "amount_paid" in error.value.message_dict


def test_marking_an_order_paid_fills_the_amount_paid(cast, acting):
    order = _order(acting, cast, [{"name": "A", "unit_price": Decimal("50")}])
    with acting(cast.sales, cast.workspace) as actor:
        order_services.order_update(actor=actor, order=order, data={"status": OrderStatus.PAID})
    order.refresh_from_db()
    assert order.amount_paid == Decimal("50.00")
    assert order.balance == 0


def test_the_balance_sums_unpaid_orders_per_currency_and_ignores_cancelled_ones(cast, acting):
    _order(acting, cast, [{"name": "A", "unit_price": Decimal("100")}], amount_paid=Decimal("30"))
    _order(acting, cast, [{"name": "B", "unit_price": Decimal("10.10")}])
    cancelled = _order(acting, cast, [{"name": "C", "unit_price": Decimal("999")}])
    _order(acting, cast, [{"name": "D", "unit_price": Decimal("5")}], currency="USD")
    with acting(cast.sales, cast.workspace) as actor:
        order_services.order_update(actor=actor, order=cancelled, data={"status": OrderStatus.CANCELLED})
        balances = customer_balance(actor, owner=cast.sales)
    assert [(b.currency, b.total, b.paid, b.due) for b in balances] == [
        ("EUR", Decimal("110.10"), Decimal("30.00"), Decimal("80.10")),
        ("USD", Decimal("5.00"), Decimal("0.00"), Decimal("5.00")),
    ]


def test_an_import_is_all_or_nothing_with_errors_per_row(cast, acting):
    rows = [
        {"currency": "EUR", "external_ref": "ERP-1", "lines": [{"name": "A", "unit_price": 1}]},
        {"currency": "NOPE", "external_ref": "ERP-2", "lines": [{"name": "B", "unit_price": 1}]},
    ]
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        order_services.orders_import(actor=actor, rows=rows)
    assert "rows[2].currency" in error.value.message_dict
    assert not Order.all_objects.exists()


def test_lines_of_an_invoiced_order_are_final(cast, acting):
    order = _order(acting, cast, [{"name": "A", "unit_price": 1}])
    with acting(cast.sales, cast.workspace) as actor:
        order_services.order_update(actor=actor, order=order, data={"status": OrderStatus.INVOICED})
        with pytest.raises(ValidationError):
            order_services.order_line_add(actor=actor, order=order, data={"name": "B", "unit_price": 1})
