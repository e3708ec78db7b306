"""Money: Decimal amounts with an ISO 4217 currency code, and the arithmetic of a priced line.

Amounts are ``Decimal`` with two places (half-up rounding), never floats. There is no currency
conversion: totals over several currencies are kept per currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

# Active ISO 4217 codes, without precious metals, bond units and the testing codes (XTS, XXX).
_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
    TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
CURRENCIES: frozenset[str] = frozenset(_ISO_4217.split())
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCIES)]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_AMOUNT = Decimal("999999999999.99")  # fits DecimalField(max_digits=14, decimal_places=2)


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(f"“{value}” is not an ISO 4217 currency code (for example USD, EUR, GBP).")


def normalise_currency(value: Any) -> str:
    """Upper-case and strip a typed currency; the validator then decides whether it exists."""
    return str(value or "").strip().upper()


def to_decimal(value: Any, *, field: str, places: Decimal = CENT) -> Decimal:
    """Parse a number typed by a person or sent by the API; floats are refused, not rounded silently."""
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Enter a number."})
    return number.quantize(places, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    """The figures of one priced line: quantity x unit price, less a percentage discount, plus tax."""

    subtotal: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal

    @classmethod
    def compute(
        cls, *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal
    ) -> LineAmounts:
        subtotal = money(quantity * unit_price)
        discount = money(subtotal * discount_percent / HUNDRED)
        net = subtotal - discount
        tax = money(net * tax_rate / HUNDRED)
        return cls(subtotal=subtotal, discount=discount, net=net, tax=tax, total=net + tax)


def format_money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{currency} {amount:,.2f}"
