"""Field validators shared by models, forms, services and the API: each error says what is expected."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from rapport.contacts.iso import COUNTRIES, CURRENCIES

_email = EmailValidator(message="Enter an email address like name@example.com.")
_url = URLValidator(schemes=["http", "https"], message="Enter a web address starting with http:// or https://.")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.[a-z]{2,63}$")


# The common shape of an address, which Django's EmailValidator always accepts (a strict subset of
# its dot-atom user part and host name): one regular expression instead of the validator's several.
# Anything else (quoted local parts, IDN domains, IP literals, mistakes) goes to the validator.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,63}"
)


def normalise_email(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in _valid_emails:
        if len(value) > 320 or not _PLAIN_EMAIL.fullmatch(value):
            _email(value)
        if len(_valid_emails) >= 4096:  # imports check each address twice in a row (plan, then clean)
            _valid_emails.clear()
        _valid_emails.add(value)
    return value


_valid_emails: set[str] = set()


def validate_http_url(value: str) -> None:
    if value:
        _url(value)


def normalise_domain(value: str) -> str:
    """``https://www.Example.com/about`` → ``example.com``."""
    value = (value or "").strip().lower()
    value = re.sub(r"^[a-z]+://", "", value).split("/", 1)[0].split(":", 1)[0]
    value = value.removeprefix("www.")
    if not _DOMAIN.match(value):
        raise ValidationError("Enter a domain like example.com (no http://, no path).")
    return value


def validate_currency(value: str) -> None:
    if value and value not in CURRENCIES:
        raise ValidationError(
            f"“{value}” is not an ISO 4217 currency code; enter three capital letters like USD or EUR."
        )


def validate_country(value: str) -> None:
    if value and value not in COUNTRIES:
        raise ValidationError(f"“{value}” is not an ISO 3166 country code; enter two capital letters like US or FR.")


def normalise_phone(value: str, region: str | None) -> str:
    """Any typed phone number → E.164 (``+14155550100``), reading national numbers in ``region``."""
    raw = (value or "").strip()
    region = (region or "").upper() or None
    expected = "Enter a phone number like +44 20 7946 0958" + (
        f", or a national number for {COUNTRIES.get(region, region)}." if region else " (with the + country code)."
    )
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(expected) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(expected)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(e164: str) -> str:
    return "".join(ch for ch in e164 if ch.isdigit())


def format_phone(e164: str, region: str | None) -> str:
    """National format for numbers of the workspace's region, international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == (region or "").upper()
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
