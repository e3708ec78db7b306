"""Writes for the product catalogue and its price list (``products.manage``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from rapport.core import services as core_services
from rapport.core.permissions import Actor
from rapport.sales import search
from rapport.sales.models import Product, ProductPrice
from rapport.sales.money import normalise_currency, to_decimal, validate_currency
from rapport.sales.services.common import apply_fields, check_version, event, reject_unknown, require, touch

MANAGE = "products.manage"
DENIED = "Only owners, admins and managers change the product catalogue."
PRODUCT_FIELDS = ("sku", "name", "description", "tax_rate", "active")


def _clean_prices(prices: dict[str, Any]) -> dict[str, Decimal]:
    cleaned: dict[str, Decimal] = {}
    errors: list[str] = []
    for raw_currency, amount in prices.items():
        currency = normalise_currency(raw_currency)
        try:
            validate_currency(currency)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if amount is None or amount == "":
            continue
        amount = to_decimal(amount, field="prices")
        if amount < 0:
            errors.append(f"The {currency} price cannot be negative.")
        if currency in cleaned:
            errors.append(f"{currency} is listed twice.")
        cleaned[currency] = amount
    if errors:
        raise ValidationError({"prices": errors})
    return cleaned


def _set_prices(product: Product, prices: dict[str, Decimal]) -> bool:
    existing = {p.currency: p for p in product.prices.all()}
    before = {c: str(p.unit_price) for c, p in existing.items()}
    after = {c: str(v) for c, v in prices.items()}
    if before == after:
        return False
    ProductPrice.objects.filter(product=product).exclude(currency__in=list(prices)).hard_delete()
    for currency, amount in prices.items():
        row = existing.get(currency)
        if row is None:
            ProductPrice.objects.create(
                workspace_id=product.workspace_id, product=product, currency=currency, unit_price=amount
            )
        elif row.unit_price != amount:
            row.unit_price = amount
            row.save(update_fields=["unit_price"])
    event(product, {"prices": [_describe(before), _describe(after)]})
    product._prefetched_objects_cache = {}
    return True


def _describe(prices: dict[str, str]) -> str:
    return ", ".join(f"{c} {v}" for c, v in sorted(prices.items())) or "—"


def product_create(*, actor: Actor, data: dict[str, Any], prices: dict[str, Any] | None = None) -> Product:
    require(actor, MANAGE, DENIED)
    reject_unknown(data, PRODUCT_FIELDS)
    cleaned = _clean_prices(prices or {})
    product = Product()
    data = {**data, "sku": str(data.get("sku", "")).strip(), "name": str(data.get("name", "")).strip()}
    apply_fields(product, data)
    with transaction.atomic():
        product.save()
        if cleaned:
            _set_prices(product, cleaned)
        search.index(product)
    return product


def product_update(
    *,
    actor: Actor,
    product: Product,
    data: dict[str, Any],
    prices: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> bool:
    """Change a product and, when ``prices`` is given, replace its price list."""
    require(actor, MANAGE, DENIED)
    check_version(product, expected_version)
    reject_unknown(data, PRODUCT_FIELDS)
    cleaned = _clean_prices(prices) if prices is not None else None
    if "sku" in data:
        data = {**data, "sku": str(data["sku"]).strip()}
    apply_fields(product, data)
    with transaction.atomic():
        changed = bool(product.changed_fields())
        if changed:
            product.save()
        if cleaned is not None and _set_prices(product, cleaned):
            if not changed:
                touch(product)
            changed = True
        if changed:
            search.index(product)
    return changed


def product_delete(*, actor: Actor, product: Product, expected_version: int | None = None) -> None:
    """To the recycle bin; lines that used it keep their name and price."""
    require(actor, MANAGE, DENIED)
    core_services.record_delete(actor=actor, record=product, expected_version=expected_version)
