"""How each custom field type is validated, stored and shown.

Stored values are plain JSON, chosen so that both SQLite and PostgreSQL can compare and sort
them with JSON key lookups: numbers as decimal strings, money as ``{"amount": "12.50",
"currency": "EUR"}``, dates as ``YYYY-MM-DD``, date-times as UTC ``YYYY-MM-DDTHH:MM:SSZ``
(so string order is time order), phones in E.164, emails lower-cased, users by id, multi
selects as lists of option values. An empty value is never stored: the key is removed.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from rapport.customfields.models import CustomFieldDefinition, FieldType

TEXT_MAX = 255
LONG_TEXT_MAX = 10_000
MAX_DECIMAL_PLACES = 10
NUMBER_LIMIT = Decimal("1e15")
CHOICE_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TRUE_WORDS = {"true", "yes", "y", "on", "1", "x", "checked"}
FALSE_WORDS = {"false", "no", "n", "off", "0", ""}
_url_validator = URLValidator(schemes=["http", "https"])
_email_validator = EmailValidator()


class ValueContext:
    """What validating and showing values needs from the workspace.

    The workspace row (region, default currency) is read lazily, at most once per context, and
    only when a value needs it (phone, money). :meth:`for_definitions` keeps the context on the
    first definition of the list it is given, so a caller that cleans many records with the same
    definitions (an import chunk, a form set, a type conversion) reads the workspace once, not once
    per record; a fresh read of the definitions gets a fresh context.
    """

    _ATTR = "_value_context"

    def __init__(
        self, workspace_id: int | None, region: str | None = None, default_currency: str | None = None
    ) -> None:
        self.workspace_id = workspace_id
        self._region = region
        self._default_currency = default_currency

    def __repr__(self) -> str:
        return f"ValueContext(workspace_id={self.workspace_id!r})"

    @classmethod
    def for_definitions(cls, definitions: list[CustomFieldDefinition]) -> ValueContext:
        from rapport.core.scoping import active_workspace_id

        if not definitions:
            return cls(workspace_id=active_workspace_id())
        first = definitions[0]
        cached = first.__dict__.get(cls._ATTR)
        if cached is not None and cached.workspace_id == first.workspace_id:
            return cached
        ctx = cls(workspace_id=first.workspace_id)
        first.__dict__[cls._ATTR] = ctx
        return ctx

    def _load(self) -> None:
        from rapport.core.models import Workspace

        row = None
        if self.workspace_id:
            row = Workspace.objects.filter(pk=self.workspace_id).values("default_region", "default_currency").first()
        self._region = self._region or (row["default_region"] if row else "US")
        self._default_currency = self._default_currency or (row["default_currency"] if row else "USD")

    @property
    def region(self) -> str:
        """The workspace's default region (phone numbers written without a country code)."""
        if self._region is None:
            self._load()
        return self._region  # type: ignore[return-value]

    @property
    def default_currency(self) -> str:
        """The workspace's default currency (money written without one)."""
        if self._default_currency is None:
            self._load()
        return self._default_currency  # type: ignore[return-value]

    @cached_property
    def members(self) -> dict[int, str]:
        """Active members of the workspace: user id -> name shown."""
        from django.contrib.auth import get_user_model

        if self.workspace_id is None:
            return {}
        users = get_user_model().objects.filter(
            memberships__workspace_id=self.workspace_id, memberships__is_active=True
        )
        return {u.pk: (u.get_full_name() or u.email) for u in users}


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# --- Cleaning one value ------------------------------------------------------------------------


def clean_value(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> Any:
    """The storable JSON value for ``raw``, or None when empty. Raises ValidationError (one message)."""
    if isinstance(raw, str) and definition.field_type not in (FieldType.LONG_TEXT,):
        raw = raw.strip()
    if is_empty(raw) and definition.field_type != FieldType.CHECKBOX:
        return None
    cleaner = _CLEANERS[definition.field_type]
    return cleaner(definition, raw, ctx)


def _text(limit: int):
    def clean(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
        if not isinstance(raw, str):
            raise ValidationError("Enter text.")
        value = raw.replace("\x00", "")
        if len(value) > limit:
            raise ValidationError(f"Use at most {limit} characters (this has {len(value)}).")
        return value

    return clean


def to_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValidationError("Enter a number.")
    try:
        value = Decimal(str(raw).strip().replace(" ", "")) if not isinstance(raw, Decimal) else raw
    except (InvalidOperation, ValueError):
        raise ValidationError(f"“{raw}” is not a number; write it like 1234.5") from None
    if not value.is_finite():
        raise ValidationError("Enter a finite number.")
    if abs(value) >= NUMBER_LIMIT:
        raise ValidationError("This number is too large.")
    if value.as_tuple().exponent < -MAX_DECIMAL_PLACES:  # type: ignore[operator]
        raise ValidationError(f"Use at most {MAX_DECIMAL_PLACES} decimal places.")
    return value


def _number(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
    return format(to_decimal(raw), "f")


def _money(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> dict[str, str]:
    currency = definition.currency or ctx.default_currency
    if isinstance(raw, dict):
        unknown = set(raw) - {"amount", "currency"}
        if unknown:
            raise ValidationError(f"Unknown money part: {', '.join(sorted(unknown))}; use amount and currency.")
        amount_raw, currency = raw.get("amount"), (raw.get("currency") or currency)
    elif isinstance(raw, str):
        parts = raw.split()
        codes = [p for p in parts if re.fullmatch(r"[A-Za-z]{3}", p)]
        numbers = [p for p in parts if p not in codes]
        if len(codes) > 1 or len(numbers) != 1:
            raise ValidationError("Enter an amount, optionally with a currency code: 12.50 or 12.50 EUR.")
        amount_raw, currency = numbers[0], (codes[0] if codes else currency)
    else:
        amount_raw = raw
    if amount_raw in (None, ""):
        raise ValidationError("Enter an amount.")
    amount = to_decimal(amount_raw)
    if amount.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValidationError("Use at most 4 decimal places for money.")
    if amount.as_tuple().exponent > -2:  # type: ignore[operator]
        amount = amount.quantize(Decimal("0.01"))
    currency = str(currency or "").upper()
    if not CURRENCY.match(currency):
        raise ValidationError("Use a three-letter ISO 4217 currency code, e.g. EUR.")
    return {"amount": format(amount, "f"), "currency": currency}


def _date(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
    if isinstance(raw, dt.datetime):
        raise ValidationError("Enter a date without a time.")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    try:
        value = parse_date(str(raw)) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None:
        raise ValidationError("Enter a date as YYYY-MM-DD.")
    return value.isoformat()


def to_utc(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value.astimezone(dt.UTC)


def _datetime(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
    value: dt.datetime | None = None
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time())
    elif isinstance(raw, str):
        try:
            value = parse_datetime(raw)
            if value is None and (day := parse_date(raw)) is not None:
                value = dt.datetime.combine(day, dt.time())
        except ValueError:
            value = None
    if value is None:
        raise ValidationError("Enter a date and time as YYYY-MM-DD HH:MM.")
    return to_utc(value).strftime(DATETIME_FORMAT)


def _checkbox(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> bool:
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS
    raise ValidationError("Enter yes or no.")


def _choice(definition: CustomFieldDefinition, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValidationError("Choose one of the options.")
    raw = raw.strip()
    labels = definition.choice_labels
    if raw in labels:
        return raw
    for value, label in labels.items():
        if label.casefold() == raw.casefold():
            return value
    allowed = ", ".join(labels) or "none defined"
    raise ValidationError(f"“{raw}” is not one of the options ({allowed}).")


def _select(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
    return _choice(definition, raw)


def _multi_select(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> list[str] | None:
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, (list, tuple, set, frozenset)):
        raise ValidationError("Choose a list of options.")
    values: list[str] = []
    for item in raw:
        value = _choice(definition, item)
        if value not in values:
            values.append(value)
    return values or None


def _url(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
    if not isinstance(raw, str):
        raise ValidationError("Enter a web address.")
    value = raw if "://" in raw else f"https://{raw}"
    if len(value) > 2000:
        raise ValidationError("This address is too long (at most 2000 characters).")
    try:
        _url_validator(value)
    except ValidationError:
        raise ValidationError("Enter a web address starting with http:// or https://.") from None
    return value


def _email(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
    if not isinstance(raw, str):
        raise ValidationError("Enter an email address.")
    value = raw.lower()
    try:
        _email_validator(value)
    except ValidationError:
        raise ValidationError(f"“{raw}” is not a valid email address.") from None
    return value


def normalize_phone(raw: str, region: str) -> str | None:
    """E.164 form of ``raw`` read with ``region`` for numbers without +country code, or None."""
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ValidationError("Enter a phone number.")
    value = normalize_phone(raw, ctx.region)
    if value is None:
        raise ValidationError(
            f"“{raw}” is not a phone number; add the country code (e.g. +44 20 7946 0000) "
            f"or write it as dialled in {ctx.region}."
        )
    return value


def _user(definition: CustomFieldDefinition, raw: Any, ctx: ValueContext) -> int:
    pk = getattr(raw, "pk", raw)
    if isinstance(pk, str) and pk.strip().isdigit():
        pk = int(pk)
    if isinstance(pk, bool) or not isinstance(pk, int) or pk not in ctx.members:
        raise ValidationError("Choose a member of this workspace.")
    return pk


_CLEANERS = {
    FieldType.TEXT: _text(TEXT_MAX),
    FieldType.LONG_TEXT: _text(LONG_TEXT_MAX),
    FieldType.NUMBER: _number,
    FieldType.MONEY: _money,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.CHECKBOX: _checkbox,
    FieldType.SELECT: _select,
    FieldType.MULTI_SELECT: _multi_select,
    FieldType.URL: _url,
    FieldType.EMAIL: _email,
    FieldType.PHONE: _phone,
    FieldType.USER: _user,
}


# --- Showing a stored value -----------------------------------------------------------------


def display(definition: CustomFieldDefinition, value: Any, ctx: ValueContext | None = None) -> str:
    """A stored value as people read it ("" when empty). Tolerates values of an older type."""
    if is_empty(value):
        return ""
    kind = definition.field_type
    try:
        if kind == FieldType.NUMBER:
            return format(Decimal(str(value)), ",f")
        if kind == FieldType.MONEY and isinstance(value, dict):
            return f"{format(Decimal(str(value['amount'])), ',f')} {value.get('currency', '')}".strip()
        if kind == FieldType.DATETIME:
            moment = parse_datetime(str(value))
            if moment is not None:
                return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        if kind == FieldType.CHECKBOX:
            return "Yes" if value is True else "No" if value is False else str(value)
        if kind == FieldType.SELECT:
            return definition.choice_labels.get(str(value), str(value))
        if kind == FieldType.MULTI_SELECT and isinstance(value, list):
            labels = definition.choice_labels
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        if kind == FieldType.PHONE:
            number = phonenumbers.parse(str(value), None)
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if kind == FieldType.USER:
            ctx = ctx or _display_context(definition)
            return ctx.members.get(value, f"Former member #{value}")
    except (InvalidOperation, ValueError, KeyError, TypeError, phonenumbers.NumberParseException):
        pass
    return str(value)


def _display_context(definition: CustomFieldDefinition) -> ValueContext:
    # Cached on the definition so a list of records costs one members query per field, not per row.
    ctx = getattr(definition, "_value_context", None)
    if ctx is None:
        ctx = ValueContext.for_definitions([definition])
        definition._value_context = ctx  # type: ignore[attr-defined]
    return ctx


# --- Options ----------------------------------------------------------------------------------


def clean_options(field_type: str, options: Any) -> dict[str, Any]:
    """Validate the options of a field type; unknown keys are errors, never dropped."""
    options = options or {}
    if not isinstance(options, dict):
        raise ValidationError({"options": "Options must be an object."})
    allowed = {
        FieldType.SELECT: {"choices"},
        FieldType.MULTI_SELECT: {"choices"},
        FieldType.MONEY: {"currency"},
    }.get(field_type, set())
    unknown = set(options) - allowed
    if unknown:
        raise ValidationError({"options": f"Unknown options for this type: {', '.join(sorted(unknown))}."})
    cleaned: dict[str, Any] = {}
    if field_type in (FieldType.SELECT, FieldType.MULTI_SELECT):
        cleaned["choices"] = clean_choices(options.get("choices"))
    if field_type == FieldType.MONEY and options.get("currency"):
        currency = str(options["currency"]).strip().upper()
        if not CURRENCY.match(currency):
            raise ValidationError({"options": "Use a three-letter ISO 4217 currency code, e.g. EUR."})
        cleaned["currency"] = currency
    return cleaned


def clean_choices(raw: Any) -> list[dict[str, str]]:
    if not raw or not isinstance(raw, list):
        raise ValidationError({"options": "A select field needs at least one option."})
    choices: list[dict[str, str]] = []
    for item in raw:
        if isinstance(item, str):
            item = {"label": item}
        if not isinstance(item, dict) or set(item) - {"value", "label"}:
            raise ValidationError({"options": "Each option has a label and optionally a value."})
        label = str(item.get("label") or "").strip()
        if not label or len(label) > 100:
            raise ValidationError({"options": "Each option needs a label of at most 100 characters."})
        value = str(item.get("value") or slugify(label).replace("-", "_")[:50] or "").strip()
        if not CHOICE_VALUE.match(value):
            raise ValidationError(
                {"options": f"Option value “{value}”: use lower-case letters, digits, - and _ (at most 50)."}
            )
        if any(c["value"] == value for c in choices):
            raise ValidationError({"options": f"Two options have the value “{value}”."})
        choices.append({"value": value, "label": label})
    return choices
