"""Priced lines of deals (the deal amount follows them), shared line building for quotes and orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from rapport.core.permissions import Actor
from rapport.sales.models import Deal, LineItem, Product
from rapport.sales.models.lines import LineBase
from rapport.sales.services.common import apply_fields, check_version, event, reject_unknown, require_change, touch

LINE_FIELDS = ("product", "name", "description", "quantity", "unit_price", "discount_percent", "tax_rate")
ZERO = Decimal("0")


def fill_line(line: LineBase, data: dict[str, Any], *, currency: str, exclude: tuple[str, ...] = ()) -> None:
    """Copy ``data`` onto a line, taking name, price and tax from the product when not given, and validate."""
    reject_unknown(data, LINE_FIELDS)
    data = dict(data)
    product: Product | None = data.get("product", line.product if line.product_id else None)
    if product is not None and "product" in data:
        if not product.active and product.pk != line.product_id:
            raise ValidationError({"product": f"“{product.name}” is inactive and cannot be added."})
        data.setdefault("name", product.name)
        data.setdefault("tax_rate", product.tax_rate)
        if data.get("unit_price") is None:
            price = product.price_in(currency)
            if price is None:
                raise ValidationError(
                    {"unit_price": f"“{product.name}” has no price in {currency}: enter a unit price."}
                )
            data["unit_price"] = price
    for key in ("discount_percent", "tax_rate", "description"):
        if data.get(key) is None and key in data:
            data[key] = "" if key == "description" else ZERO
    apply_fields(line, data, exclude=exclude)
    line.compute()


def copy_lines(source: list[LineBase], target_model: type[LineBase], **parent: Any) -> list[LineBase]:
    """Unsaved copies of ``source`` lines for another parent (a quote from a deal, an order from a quote)."""
    copies = []
    for position, line in enumerate(source, start=1):
        copy = target_model(
            workspace_id=line.workspace_id,
            product_id=line.product_id,
            name=line.name,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            position=position,
            **parent,
        )
        copy.compute()
        copies.append(copy)
    return copies


def next_position(lines: models.QuerySet) -> int:
    return (lines.aggregate(m=models.Max("position"))["m"] or 0) + 1


def _sync_deal_amount(deal: Deal) -> None:
    """The deal's amount becomes the net total of its lines; its version moves on either way."""
    total = deal.line_items.aggregate(s=models.Sum("net_amount"))["s"]
    if total is not None:
        deal.amount = total
    if deal.changed_fields():
        deal.save()
    else:
        touch(deal)


def deal_line_add(*, actor: Actor, deal: Deal, data: dict[str, Any], expected_version: int | None = None) -> LineItem:
    require_change(actor, deal)
    check_version(deal, expected_version)
    line = LineItem(workspace_id=deal.workspace_id, deal=deal, position=next_position(deal.line_items.all()))
    fill_line(line, data, currency=deal.currency)
    with transaction.atomic():
        line.save()
        event(deal, {"line added": [None, str(line)]})
        _sync_deal_amount(deal)
    return line


def deal_line_update(
    *, actor: Actor, deal: Deal, line: LineItem, data: dict[str, Any], expected_version: int | None = None
) -> LineItem:
    require_change(actor, deal)
    check_version(deal, expected_version)
    if line.deal_id != deal.pk:
        raise ValidationError({"line": "This line belongs to another deal."})
    before = str(line)
    fill_line(line, data, currency=deal.currency)
    with transaction.atomic():
        line.save()
        event(deal, {"line changed": [before, str(line)]})
        _sync_deal_amount(deal)
    return line


def deal_line_remove(*, actor: Actor, deal: Deal, line: LineItem, expected_version: int | None = None) -> None:
    require_change(actor, deal)
    check_version(deal, expected_version)
    if line.deal_id != deal.pk:
        raise ValidationError({"line": "This line belongs to another deal."})
    with transaction.atomic():
        LineItem.objects.filter(pk=line.pk).hard_delete()  # a part of the deal; its History keeps the trace
        event(deal, {"line removed": [str(line), None]})
        _sync_deal_amount(deal)
