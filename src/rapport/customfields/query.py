"""Filtering and sorting records by custom values, with JSON key lookups that work on SQLite and PostgreSQL.

Everything is built from expressions (``KeyTextTransform`` and explicit lookups), never from
``custom__<key>`` keyword lookups, so a key can never be mistaken for a lookup name. Numbers and
money amounts compare numerically through ``Cast``; dates and date-times compare as ISO strings
(stored in UTC with a fixed format, so string order is time order).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Q, When
from django.db.models.expressions import OrderBy
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Lower
from django.db.models.lookups import Contains as ContainsLookup
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils import timezone
from django.utils.dateparse import parse_date

from rapport.customfields.models import CustomFieldDefinition, FieldType
from rapport.customfields.types import DATETIME_FORMAT, ValueContext, clean_value, to_decimal

TEXTISH = {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.EMAIL, FieldType.PHONE}
EMPTINESS = ("is_empty", "is_not_empty")
OPERATORS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(TEXTISH, ("eq", "ne", "contains", "icontains", "startswith", "in", *EMPTINESS)),
    FieldType.NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in", *EMPTINESS),
    FieldType.MONEY: ("eq", "ne", "gt", "gte", "lt", "lte", "between", *EMPTINESS),
    FieldType.DATE: ("eq", "ne", "gt", "gte", "lt", "lte", "before", "after", "between", *EMPTINESS),
    FieldType.DATETIME: ("eq", "ne", "gt", "gte", "lt", "lte", "before", "after", "between", *EMPTINESS),
    FieldType.CHECKBOX: ("eq", "ne", *EMPTINESS),
    FieldType.SELECT: ("eq", "ne", "in", *EMPTINESS),
    FieldType.MULTI_SELECT: ("contains", "ne", "in", *EMPTINESS),
    FieldType.USER: ("eq", "ne", "in", *EMPTINESS),
}
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMPARE = {"gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual}
_DECIMAL = models.DecimalField(max_digits=30, decimal_places=10)


def operators_for(definition: CustomFieldDefinition) -> tuple[str, ...]:
    return OPERATORS[definition.field_type]


def text_of(definition: CustomFieldDefinition, field: str = "custom") -> KeyTextTransform:
    return KeyTextTransform(definition.key, field)


def number_of(definition: CustomFieldDefinition, field: str = "custom") -> Cast:
    if definition.field_type == FieldType.MONEY:
        return Cast(KeyTextTransform("amount", KeyTransform(definition.key, field)), _DECIMAL)
    return Cast(KeyTextTransform(definition.key, field), _DECIMAL)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part.strip() for part in value.replace("..", ",").split(",") if part.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _pair(value: Any) -> tuple[Any, Any]:
    items = _as_list(value)
    if len(items) != 2:
        raise ValidationError("“between” needs two values: the lowest and the highest.")
    return items[0], items[1]


def _operand(definition: CustomFieldDefinition, value: Any, ctx: ValueContext) -> Any:
    """A filter value cleaned like a stored value (phones to E.164, emails lower-cased...)."""
    if definition.field_type in (FieldType.NUMBER, FieldType.MONEY):
        return to_decimal(value.get("amount") if isinstance(value, dict) else value)
    cleaned = clean_value(definition, value, ctx)
    if cleaned is None:
        raise ValidationError("Give a value to compare with, or use is_empty.")
    return cleaned


def _is_date_only(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return False
    if isinstance(value, dt.date):
        return True
    # Not parse_datetime(): Python's fromisoformat reads "2030-01-05" as midnight.
    return isinstance(value, str) and DATE_ONLY.match(value.strip()) is not None


def _day_start(value: Any, days: int = 0) -> str:
    """Start of the (local) day ``value`` plus ``days``, as a stored UTC date-time string."""
    day = value if isinstance(value, dt.date) else parse_date(str(value))
    moment = dt.datetime.combine(day + dt.timedelta(days=days), dt.time())  # type: ignore[operator]
    moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment.astimezone(dt.UTC).strftime(DATETIME_FORMAT)


def filter_q(definition: CustomFieldDefinition, operator: str, value: Any = None) -> Q:
    """A ``Q`` selecting records whose custom value matches ``operator``/``value``.

    Raises ValidationError naming the operator when it does not exist for the field's type, or
    when the value cannot be read as the field's type.
    """
    allowed = OPERATORS[definition.field_type]
    if operator not in allowed:
        raise ValidationError(
            f"Unknown operator “{operator}” for the {definition.get_field_type_display().lower()} field "
            f"“{definition.label}”; use one of: {', '.join(allowed)}."
        )
    text = text_of(definition)
    empty = Q(IsNull(text, True))
    if operator == "is_empty":
        return empty
    if operator == "is_not_empty":
        return Q(IsNull(text, False))
    ctx = ValueContext.for_definitions([definition])
    kind = definition.field_type
    if operator == "ne":
        return ~filter_q(definition, "contains" if kind == FieldType.MULTI_SELECT else "eq", value) | empty
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        return _number_q(definition, operator, value, ctx)
    if kind in (FieldType.DATE, FieldType.DATETIME):
        return _date_q(definition, operator, value, ctx)
    if kind == FieldType.MULTI_SELECT:
        wanted = [_operand(definition, v, ctx) for v in _as_list(value)]
        choices = [c for v in wanted for c in (v if isinstance(v, list) else [v])]
        if not choices:
            raise ValidationError("Choose at least one option.")
        if operator == "contains":
            return _all_q([Q(ContainsLookup(text, f'"{choice}"')) for choice in choices])
        return _any_q([Q(ContainsLookup(text, f'"{choice}"')) for choice in choices])
    if kind == FieldType.CHECKBOX:
        wanted = _operand(definition, value, ctx)
        exact = Q(Exact(text, "true" if wanted else "false"))
        return exact if wanted else exact | empty
    if kind == FieldType.USER:
        if operator == "in":
            return Q(In(Cast(text, models.BigIntegerField()), [_operand(definition, v, ctx) for v in _as_list(value)]))
        return Q(Exact(Cast(text, models.BigIntegerField()), _operand(definition, value, ctx)))
    # Text-like and single select.
    if operator == "in":
        return Q(In(text, [str(_operand(definition, v, ctx)) for v in _as_list(value)]))
    if operator == "eq":
        return Q(Exact(text, str(_operand(definition, value, ctx))))
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Give some text to look for.")
    needle = value.strip()
    if kind == FieldType.EMAIL:
        needle = needle.lower()
    if operator == "contains":
        return Q(ContainsLookup(text, needle))
    if operator == "icontains":
        return Q(IContains(text, needle))
    return Q(StartsWith(text, needle))


def _all_q(parts: list[Q]) -> Q:
    result = parts[0]
    for part in parts[1:]:
        result &= part
    return result


def _any_q(parts: list[Q]) -> Q:
    result = parts[0]
    for part in parts[1:]:
        result |= part
    return result


def _split_currency(definition: CustomFieldDefinition, value: Any) -> tuple[Any, str | None]:
    """``"12.50 EUR"`` or ``{"amount": .., "currency": ..}`` -> (amount, "EUR"); plain numbers -> (value, None)."""
    if definition.field_type != FieldType.MONEY:
        return value, None
    if isinstance(value, dict):
        return value.get("amount"), (str(value["currency"]).upper() if value.get("currency") else None)
    if isinstance(value, str):
        parts = value.split()
        codes = [p for p in parts if len(p) == 3 and p.isalpha()]
        if len(codes) == 1 and len(parts) == 2:
            return next(p for p in parts if p not in codes), codes[0].upper()
    return value, None


def _number_q(definition: CustomFieldDefinition, operator: str, value: Any, ctx: ValueContext) -> Q:
    number = number_of(definition)
    if operator == "between":
        low, high = (_operand(definition, v, ctx) for v in _pair(value))
        return Q(GreaterThanOrEqual(number, low)) & Q(LessThanOrEqual(number, high))
    if operator == "in":
        return Q(In(number, [_operand(definition, v, ctx) for v in _as_list(value)]))
    amount, currency = _split_currency(definition, value)
    operand = _operand(definition, amount, ctx)
    lookup = Exact if operator == "eq" else _COMPARE[operator]
    condition = Q(lookup(number, operand))
    if currency:
        currency_text = KeyTextTransform("currency", KeyTransform(definition.key, "custom"))
        condition &= Q(Exact(currency_text, currency))
    return condition


def _date_q(definition: CustomFieldDefinition, operator: str, value: Any, ctx: ValueContext) -> Q:
    text = text_of(definition)
    operator = {"before": "lt", "after": "gt"}.get(operator, operator)
    whole_days = definition.field_type == FieldType.DATETIME

    def bounds(raw: Any) -> tuple[str, str]:
        """[first, after_last) of a value: a whole local day when a date-time field gets a date."""
        if whole_days and _is_date_only(raw):
            return _day_start(raw), _day_start(raw, days=1)
        moment = _operand(definition, raw, ctx)
        return moment, moment

    if operator == "between":
        low_raw, high_raw = _pair(value)
        low, high = bounds(low_raw)[0], bounds(high_raw)
        upper = Q(LessThan(text, high[1])) if high[0] != high[1] else Q(LessThanOrEqual(text, high[1]))
        return Q(GreaterThanOrEqual(text, low)) & upper
    first, after = bounds(value)
    day = first != after
    if operator == "eq":
        return Q(GreaterThanOrEqual(text, first)) & Q(LessThan(text, after)) if day else Q(Exact(text, first))
    if operator == "lt":
        return Q(LessThan(text, first))
    if operator == "gte":
        return Q(GreaterThanOrEqual(text, first))
    if operator == "gt":
        return Q(GreaterThanOrEqual(text, after)) if day else Q(GreaterThan(text, first))
    return Q(LessThan(text, after)) if day else Q(LessThanOrEqual(text, first))  # lte


def order_by_expression(definition: CustomFieldDefinition, descending: bool = False) -> OrderBy:
    """An ``.order_by()`` term for the custom value; empty values last in both directions."""
    kind = definition.field_type
    expression: Any
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        expression = number_of(definition)
    elif kind == FieldType.SELECT:
        whens = [When(Q(Exact(text_of(definition), c["value"])), then=i) for i, c in enumerate(definition.choices)]
        expression = Case(*whens, default=None, output_field=models.IntegerField()) if whens else text_of(definition)
    elif kind == FieldType.USER:
        from django.contrib.auth import get_user_model

        names = get_user_model().objects.filter(
            pk=Cast(KeyTextTransform(definition.key, models.OuterRef("custom")), models.BigIntegerField())
        )
        expression = models.Subquery(names.values("full_name")[:1])
    elif kind in TEXTISH:
        expression = Lower(text_of(definition))
    else:
        expression = text_of(definition)
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
