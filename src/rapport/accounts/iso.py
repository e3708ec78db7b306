"""Validators for the ISO codes a workspace stores: phone region (ISO 3166-1) and currency (ISO 4217)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

# ISO 4217 codes of circulating currencies (fund, metal and test codes such as XAU or XTS excluded:
# a workspace prices its deals in money people pay with).
CURRENCY_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
    STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD
    XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a block of codes reads better than 160 quoted strings
)

# Regions phone numbers can be read in: ISO 3166-1 alpha-2 codes known to libphonenumber.
PHONE_REGIONS: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)


def normalize_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_currency(value: str) -> None:
    if normalize_code(value) not in CURRENCY_CODES:
        raise ValidationError(
            "“%(value)s” is not an ISO 4217 currency code (for example USD, EUR, GBP).",
            code="invalid_currency",
            params={"value": value},
        )


def validate_phone_region(value: str) -> None:
    if normalize_code(value) not in PHONE_REGIONS:
        raise ValidationError(
            "“%(value)s” is not a two-letter ISO country code (for example US, DE, FR).",
            code="invalid_region",
            params={"value": value},
        )
