"""Writes for quotes: numbered per workspace, lines copied from the deal, sent, accepted or declined.

Only a draft is edited. Accepting a quote creates its order and (by default) wins the deal.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.core import services as core_services
from rapport.core.permissions import Actor, can_change
from rapport.sales import search
from rapport.sales.models import Deal, Quote, QuoteLine, QuoteStatus
from rapport.sales.models.lines import LineBase
from rapport.sales.services.common import (
    apply_fields,
    check_version,
    event,
    next_number,
    reject_unknown,
    require_change,
    touch,
)
from rapport.sales.services.lines import copy_lines, fill_line, next_position

QUOTE_FIELDS = ("title", "contact", "issued_on", "valid_until", "notes", "owner")
DEFAULT_VALIDITY_DAYS = 30
ZERO = Decimal("0")


def compute_totals(document: Any, lines: Iterable[LineBase]) -> None:
    """Subtotal, discount, tax and total of a quote or order from its (computed) lines."""
    subtotal = discount = tax = ZERO
    for line in lines:
        figures = line.amounts
        subtotal += figures.subtotal
        discount += figures.discount
        tax += figures.tax
    document.subtotal, document.discount_total, document.tax_total = subtotal, discount, tax
    document.total = subtotal - discount + tax


def _require_draft(quote: Quote) -> None:
    if not quote.is_editable:
        raise ValidationError({"status": f"This quote is {quote.get_status_display().lower()}: only drafts change."})


def quote_create(*, actor: Actor, deal: Deal, data: dict[str, Any] | None = None) -> Quote:
    """A draft quote for a deal, with the deal's lines (or one line for its amount) and the next number."""
    if not actor.can("records.create") or not can_change(actor, deal):
        raise PermissionDenied("You may not create quotes for this deal.")
    data = dict(data or {})
    reject_unknown(data, QUOTE_FIELDS)
    today = timezone.localdate()
    data.setdefault("title", deal.name)
    data.setdefault("issued_on", today)
    if data.get("valid_until") is None:
        data["valid_until"] = (data["issued_on"] or today) + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS)
    data.setdefault("owner", deal.owner or actor.user)
    if "contact" not in data:
        from rapport.sales.services.customers import primary_contact_id

        data["contact_id"] = primary_contact_id(deal)
    quote = Quote(deal=deal, currency=deal.currency, number=0)
    apply_fields(quote, data, exclude=["number"])
    _check_dates(quote)
    source = list(deal.line_items.all())
    with transaction.atomic():
        quote.number = next_number("quote")
        if source:
            lines = copy_lines(source, QuoteLine)
        else:
            single = QuoteLine(workspace_id=deal.workspace_id, name=deal.name, quantity=1, unit_price=deal.amount)
            single.compute()
            lines = [single] if deal.amount else []
        compute_totals(quote, lines)
        quote.save()
        for line in lines:
            line.quote = quote
        QuoteLine.objects.bulk_create(lines)
        search.index(quote)
    return quote


def _check_dates(quote: Quote) -> None:
    if quote.valid_until and quote.issued_on and quote.valid_until < quote.issued_on:
        raise ValidationError({"valid_until": "The quote cannot expire before it is issued."})


def quote_update(*, actor: Actor, quote: Quote, data: dict[str, Any], expected_version: int | None = None) -> bool:
    require_change(actor, quote)
    check_version(quote, expected_version)
    _require_draft(quote)
    reject_unknown(data, QUOTE_FIELDS)
    apply_fields(quote, data)
    _check_dates(quote)
    if not quote.changed_fields():
        return False
    with transaction.atomic():
        quote.save()
        search.index(quote)
    return True


def _resave_totals(quote: Quote) -> None:
    compute_totals(quote, quote.lines.all())
    if quote.changed_fields():
        quote.save()
    else:
        touch(quote)


def quote_line_add(
    *, actor: Actor, quote: Quote, data: dict[str, Any], expected_version: int | None = None
) -> QuoteLine:
    require_change(actor, quote)
    check_version(quote, expected_version)
    _require_draft(quote)
    line = QuoteLine(workspace_id=quote.workspace_id, quote=quote, position=next_position(quote.lines.all()))
    fill_line(line, data, currency=quote.currency)
    with transaction.atomic():
        line.save()
        event(quote, {"line added": [None, str(line)]})
        _resave_totals(quote)
    return line


def quote_line_remove(*, actor: Actor, quote: Quote, line: QuoteLine, expected_version: int | None = None) -> None:
    require_change(actor, quote)
    check_version(quote, expected_version)
    _require_draft(quote)
    if line.quote_id != quote.pk:
        raise ValidationError({"line": "This line belongs to another quote."})
    with transaction.atomic():
        QuoteLine.objects.filter(pk=line.pk).hard_delete()  # a part of the quote; History keeps the trace
        event(quote, {"line removed": [str(line), None]})
        _resave_totals(quote)


def quote_send(*, actor: Actor, quote: Quote, expected_version: int | None = None) -> Quote:
    """Mark a draft as sent (sending the email itself belongs to the activities app)."""
    require_change(actor, quote)
    check_version(quote, expected_version)
    _require_draft(quote)
    if not quote.lines.exists():
        raise ValidationError({"lines": "Add at least one line before sending the quote."})
    with transaction.atomic():
        quote.status, quote.sent_at = QuoteStatus.SENT, timezone.now()
        quote.save()
        search.index(quote)
    return quote


def quote_accept(*, actor: Actor, quote: Quote, expected_version: int | None = None, win_deal: bool = True) -> Quote:
    """The customer accepted: the quote is final, an order is created from it, and the deal is won."""
    require_change(actor, quote)
    check_version(quote, expected_version)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ValidationError({"status": f"This quote is already {quote.get_status_display().lower()}."})
    if quote.valid_until and quote.valid_until < timezone.localdate():
        raise ValidationError(
            {"status": f"This quote expired on {quote.valid_until:%Y-%m-%d}: issue a new one or extend it first."}
        )
    if not quote.lines.exists():
        raise ValidationError({"lines": "A quote without lines cannot be accepted."})
    from rapport.sales.services.deals import deal_mark_won
    from rapport.sales.services.orders import order_from_quote

    with transaction.atomic():
        quote.status, quote.decided_at = QuoteStatus.ACCEPTED, timezone.now()
        quote.save()
        search.index(quote)
        order_from_quote(actor=actor, quote=quote)
        deal = quote.deal
        if win_deal and deal.is_open:
            deal_mark_won(actor=actor, deal=deal, create_order=False)
    return quote


def quote_decline(*, actor: Actor, quote: Quote, expected_version: int | None = None) -> Quote:
    require_change(actor, quote)
    check_version(quote, expected_version)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ValidationError({"status": f"This quote is already {quote.get_status_display().lower()}."})
    with transaction.atomic():
        quote.status, quote.decided_at = QuoteStatus.DECLINED, timezone.now()
        quote.save()
        search.index(quote)
    return quote


def quote_delete(*, actor: Actor, quote: Quote, expected_version: int | None = None) -> None:
    """To the recycle bin. Its number is never given out again."""
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError({"status": "An accepted quote is kept: cancel its order instead."})
    core_services.record_delete(actor=actor, record=quote, expected_version=expected_version)
