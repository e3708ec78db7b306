from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.core.models import ConflictError
from rapport.sales.models import DealStatus, Order, QuoteStatus
from rapport.sales.services import lines as line_services
from rapport.sales.services import quotes as quote_services
from tests.sales.factories import DealFactory


def _quote(acting, cast, deal, **data):
    with acting(cast.sales, cast.workspace) as actor:
        return quote_services.quote_create(actor=actor, deal=deal, data=data)


def test_quotes_are_numbered_one_after_the_other_per_workspace(cast, acting, deal):
    numbers = [_quote(acting, cast, deal).number for _ in range(3)]
    assert numbers == [1, 2, 3]


def test_a_quote_copies_the_deal_lines_and_totals_them(cast, acting, deal):
    with acting(cast.sales, cast.workspace) as actor:
        line_services.deal_line_add(
            actor=actor, deal=deal, data={"name": "Seats", "quantity": 4, "unit_price": Decimal("50"), "tax_rate": 10}
        )
    quote = _quote(acting, cast, deal)
    assert [(line.name, line.quantity) for line in quote.lines.all()] == [("Seats", Decimal("4.000"))]
    assert (quote.subtotal, quote.tax_total, quote.total) == (Decimal("200.00"), Decimal("20.00"), Decimal("220.00"))
    assert quote.valid_until == quote.issued_on + datetime.timedelta(days=30)


def test_a_quote_of_a_deal_without_lines_has_one_line_for_the_amount(cast, acting, deal):
    quote = _quote(acting, cast, deal)
    assert quote.total == deal.amount
    assert quote.lines.get().name == deal.name


def test_a_quote_cannot_expire_before_it_is_issued(cast, acting, deal):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        _quote(acting, cast, deal, issued_on=today, valid_until=today - datetime.timedelta(days=1))
    assert "valid_until" in error.value.message_dict


def test_accepting_a_quote_creates_its_order_and_wins_the_deal(cast, acting, deal):
    quote = _quote(acting, cast, deal)
    with acting(cast.sales, cast.workspace) as actor:
        quote_services.quote_send(actor=actor, quote=quote)
        quote_services.quote_accept(actor=actor, quote=quote, expected_version=quote.version)
    quote.refresh_from_db()
    deal.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert deal.status == DealStatus.WON
    orders = Order.objects.filter(deal=deal)
    assert [(o.quote_id, o.total) for o in orders] == [(quote.pk, quote.total)]


def test_an_expired_quote_cannot_be_accepted(cast, acting, deal):
    today = timezone.localdate()
    quote = _quote(acting, cast, deal, issued_on=today - datetime.timedelta(days=40))
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        quote_services.quote_accept(actor=actor, quote=quote)
    assert "expired" in error.value.message_dict["status"][0]
    assert not Order.objects.filter(quote=quote).exists()


def test_only_a_draft_quote_changes(cast, acting, deal):
    quote = _quote(acting, cast, deal)
    with acting(cast.sales, cast.workspace) as actor:
        quote_services.quote_send(actor=actor, quote=quote)
        with pytest.raises(ValidationError):
            quote_services.quote_line_add(actor=actor, quote=quote, data={"name": "X", "unit_price": 1})


def test_a_declined_quote_leaves_the_deal_open(cast, acting, deal):
    quote = _quote(acting, cast, deal)
    with acting(cast.sales, cast.workspace) as actor:
        quote_services.quote_decline(actor=actor, quote=quote)
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN
    assert not Order.objects.filter(deal=deal).exists()


def test_adding_a_line_to_a_stale_quote_is_refused(cast, acting, deal):
    quote = _quote(acting, cast, deal)
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ConflictError):
        quote_services.quote_line_add(
            actor=actor, quote=quote, data={"name": "X", "unit_price": 1}, expected_version=quote.version + 5
        )


def test_quote_numbers_are_per_workspace(cast, acting, deal):
    from tests.sales.factories import PipelineFactory

    _quote(acting, cast, deal)
    other_pipeline = PipelineFactory(workspace=cast.other_workspace)
    other_deal = DealFactory(pipeline=other_pipeline, owner=cast.outsider)
    with acting(cast.outsider, cast.other_workspace) as actor:
        quote = quote_services.quote_create(actor=actor, deal=other_deal)
    assert quote.number == 1
