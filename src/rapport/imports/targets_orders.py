"""The order import target: each row is one order, written by ``rapport.sales.services.orders``.

A row carries either one line (a product by SKU and / or a line name, a quantity and a unit price;
the product's name, tax rate and price list fill what the row leaves out) or only an order total,
which becomes a single line "Order total" so the order's totals, taxes and balance stay computed by
the sales code. The external reference (the order's number in the other system) is the dedupe key;
an update changes the order's status, payment, date, notes and customer, never its lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from rapport.contacts.models import Contact, EmailAddress
from rapport.contacts.validation import normalise_email
from rapport.core.permissions import visible
from rapport.imports.targets import (
    EMPTY_DATES,
    Context,
    RowError,
    RowInvalid,
    _choice,
    _find_company,
    _owner_or_warn,
    parse_date,
    parse_decimal,
)
from rapport.sales.models import Order, Product
from rapport.sales.services import orders as order_services


def _first(values: dict[str, list[tuple[str, str]]], key: str) -> str:
    return values[key][0][1] if key in values else ""


def _column(values: dict[str, list[tuple[str, str]]], key: str) -> str:
    return values[key][0][0] if key in values else ""


def _number(values: dict, key: str, errors: list[RowError], row: int) -> Any:
    if not _first(values, key):
        return None
    try:
        return parse_decimal(_first(values, key).rstrip("% "))
    except ValueError as exc:
        errors.append(RowError(row, _column(values, key), str(exc)))
        return None


def order_plan(ctx: Context, row: int, values: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    errors: list[RowError] = []
    data: dict[str, Any] = {}
    ref = _first(values, "external_ref")
    if len(ref) > 100:
        errors.append(RowError(row, _column(values, "external_ref"), "At most 100 characters."))
    if ref:
        data["external_ref"] = ref
    if _first(values, "ordered_on") and _first(values, "ordered_on") not in EMPTY_DATES:
        try:
            data["ordered_on"] = parse_date(_first(values, "ordered_on")[:10])
        except ValueError as exc:
            errors.append(RowError(row, _column(values, "ordered_on"), str(exc)))
    if _first(values, "currency"):
        data["currency"] = _first(values, "currency").strip().upper()
    if _first(values, "status"):
        try:
            data["status"] = _choice(Order, "status", _first(values, "status"))
        except ValueError as exc:
            errors.append(RowError(row, _column(values, "status"), str(exc)))
    paid = _number(values, "amount_paid", errors, row)
    if paid is not None:
        data["amount_paid"] = paid
    if _first(values, "notes"):
        data["notes"] = _first(values, "notes")
    if "owner_email" in values:
        owner = _owner_or_warn(ctx, row, _column(values, "owner_email"), _first(values, "owner_email"))
        if owner is not None:
            data["owner"] = get_user_model().objects.get(pk=owner)
    contact = None
    if _first(values, "contact_email"):
        text = _first(values, "contact_email")
        try:
            ids = EmailAddress.objects.filter(email=normalise_email(text)).values_list("contact_id", flat=True)
            contact = visible(Contact.objects.all(), ctx.actor).filter(pk__in=ids).order_by("id").first()
        except ValidationError:
            contact = None
        if contact is None:
            errors.append(RowError(row, _column(values, "contact_email"), f"No contact you can see has {text!r}."))
        else:
            data["contact"] = contact
    line: dict[str, Any] = {}
    if _first(values, "product_sku"):
        sku = _first(values, "product_sku").strip()
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            errors.append(RowError(row, _column(values, "product_sku"), f"No product has the SKU {sku!r}."))
        else:
            line["product"] = product
    if _first(values, "line_name"):
        line["name"] = _first(values, "line_name")[:200]
    for key in ("quantity", "unit_price", "discount_percent", "tax_rate"):
        number = _number(values, key, errors, row)
        if number is not None:
            line[key] = number
    total = _number(values, "total", errors, row)
    if line and "product" not in line and "name" not in line and "product_sku" not in values:
        errors.append(RowError(row, "", "A line needs a product (by SKU) or a line name."))
    if not line and total is not None:
        line = {"name": "Order total", "quantity": 1, "unit_price": total}
    if not line and not errors:
        errors.append(RowError(row, "", "The row has no line (product / line name) and no order total."))
    if errors:
        raise RowInvalid(errors)
    return {
        "data": data,
        "line": line,
        "company": (_first(values, "company"), _first(values, "company_domain")),
        "external_ref": ref,
        "external_id": "",
    }


def find_order(ctx: Context, plan: dict[str, Any]) -> Order | None:
    if not plan["external_ref"]:
        return None
    return visible(Order.objects.all(), ctx.actor).filter(external_ref=plan["external_ref"]).order_by("id").first()


def apply_order(ctx: Context, plan: dict[str, Any], existing: Order | None) -> tuple[str, Order | None]:
    data = dict(plan["data"])
    name, domain = plan["company"]
    if name or domain:
        company = _find_company(ctx, name, domain)
        if company is not None:
            data["company"] = company
    if existing is not None:
        if ctx.policy == "skip":
            return "skipped", existing
        if ctx.policy == "update":
            edit = {k: v for k, v in data.items() if k in order_services.EDIT_FIELDS}
            order_services.order_update(actor=ctx.actor, order=existing, data=edit)
            return "updated", existing
    try:
        order = order_services.order_create(actor=ctx.actor, data=data, lines=[plan["line"]])
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {name.removeprefix("lines[1]."): errors for name, errors in exc.error_dict.items()}
        if plan["line"].get("name") == "Order total":  # the total was typed as that line's price
            renamed = {("total" if k == "unit_price" else k): v for k, v in renamed.items()}
        raise ValidationError(renamed) from None
    return "created", order


def revert_order(actor: Any, order: Order, before: dict[str, Any]) -> None:
    fields = before.get("fields", {})
    data: dict[str, Any] = {}
    for name in order_services.EDIT_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name in ("owner", "company", "contact"):
            setattr(order, f"{name}_id", value)
            continue
        if name == "ordered_on":
            value = dt.date.fromisoformat(value)
        data[name] = value
    order_services.order_update(actor=actor, order=order, data=data)
