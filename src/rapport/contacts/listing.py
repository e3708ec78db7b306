"""The list engine shared by the HTML lists and the API: filter language, sorting, keyset pages.

Filter language (the same in ``?filter=`` of the HTML list and of the API)::

    ?filter=lifecycle_stage:eq:customer&filter=owner:eq:me&filter=tags:has:vip&logic=and

Each filter is ``field:operator[:value]``; the value is everything after the second colon, so it
may itself contain colons; lists (``in``, ``not_in``, ``has_any``...) are comma-separated.
``logic`` is ``and`` (default) or ``or``. An unknown field, an operator that does not fit the
field's type or a bad value raises :class:`FilterError` naming it.

Pages are keyset pages: the cursor holds the sort values of the last row shown, so a deep page
costs what the first one does, and rows never repeat or go missing between pages. Counts are
capped (:func:`capped_count`), never a full ``COUNT(*)``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "contains", "not_contains", "startswith", "is_empty", "is_not_empty"),
    "choice": ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
    "number": ("eq", "ne", "lt", "lte", "gt", "gte", "is_empty", "is_not_empty"),
    "date": ("eq", "ne", "lt", "lte", "gt", "gte", "is_empty", "is_not_empty"),
    "datetime": ("lt", "lte", "gt", "gte", "on", "is_empty", "is_not_empty"),
    "bool": ("eq",),
    "user": ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
    "record": ("eq", "ne", "in", "contains", "is_empty", "is_not_empty"),
    "tags": ("has", "has_not", "has_any", "has_all", "is_empty", "is_not_empty"),
    "email": ("eq", "contains", "endswith", "is_empty", "is_not_empty"),
    "phone": ("eq", "contains", "is_empty", "is_not_empty"),
}
OPERATOR_LABELS = {
    "eq": "is",
    "ne": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "startswith": "starts with",
    "endswith": "ends with",
    "in": "is any of",
    "not_in": "is none of",
    "lt": "less than / before",
    "lte": "at most / on or before",
    "gt": "more than / after",
    "gte": "at least / on or after",
    "on": "on the day",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
    "has": "has tag",
    "has_not": "does not have tag",
    "has_any": "has any of the tags",
    "has_all": "has all of the tags",
    "icontains": "contains (any case)",
    "between": "between (two values, comma-separated)",
    "before": "before",
    "after": "after",
}
NO_VALUE = frozenset({"is_empty", "is_not_empty"})
MAX_FILTERS = 20


class FilterError(ValueError):
    """A filter, sort or cursor the list cannot use; ``param`` and ``field`` say which."""

    def __init__(self, param: str, field_name: str, detail: str):
        self.param = param
        self.field = field_name
        self.detail = detail
        super().__init__(f"{param} {field_name}: {detail}")


@dataclass(frozen=True)
class Filter:
    field: str
    operator: str
    value: str = ""

    def as_param(self) -> str:
        return f"{self.field}:{self.operator}" + (f":{self.value}" if self.operator not in NO_VALUE else "")


@dataclass(frozen=True)
class SortKey:
    name: str  # a field name or the alias of ``expression``
    desc: bool = False
    nullable: bool = False
    expression: Any = None


@dataclass
class Column:
    """One field a list can show, sort and filter by."""

    key: str
    label: str
    kind: str
    sort: tuple[SortKey, ...] = ()
    q: Callable[[str, str, Any], models.Q] | None = None  # (operator, value, actor) -> Q
    choices: list[tuple[str, str]] = field(default_factory=list)
    display: Callable[[Any], Any] | None = None
    inline: str | None = None  # the service field an inline edit writes
    definition: Any = None  # custom field definition
    operators: tuple[str, ...] | None = None

    @property
    def sortable(self) -> bool:
        return bool(self.sort)

    @property
    def allowed_operators(self) -> tuple[str, ...]:
        return self.operators or OPERATORS.get(self.kind, ())


@dataclass
class ListSpec:
    record_type: str
    columns: dict[str, Column]
    default_columns: list[str]
    default_sort: str

    def column(self, key: str, param: str = "filter") -> Column:
        try:
            return self.columns[key]
        except KeyError:
            raise FilterError(param, key, f"Unknown field “{key}”. Known fields: {', '.join(self.columns)}.") from None


# --- parsing --------------------------------------------------------------------------------------


def parse_filter(spec: ListSpec, raw: str) -> Filter:
    parts = raw.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise FilterError("filter", raw, "Write a filter as field:operator:value, e.g. lifecycle_stage:eq:customer.")
    key, operator = parts[0].strip(), parts[1].strip()
    value = parts[2] if len(parts) == 3 else ""
    column = spec.column(key)
    if operator not in column.allowed_operators:
        raise FilterError(
            "filter",
            key,
            f"Unknown operator “{operator}” for {column.label} ({column.kind}); "
            f"use one of: {', '.join(column.allowed_operators)}.",
        )
    if operator not in NO_VALUE and value == "":
        raise FilterError("filter", key, f"The operator “{operator}” needs a value: {key}:{operator}:<value>.")
    return Filter(key, operator, value)


def parse_filters(spec: ListSpec, raws: Iterable[str]) -> list[Filter]:
    raws = [r for r in raws if r and r.strip()]
    if len(raws) > MAX_FILTERS:
        raise FilterError("filter", "", f"At most {MAX_FILTERS} filters.")
    return [parse_filter(spec, raw) for raw in raws]


def parse_logic(raw: str | None) -> str:
    logic = (raw or "and").lower()
    if logic not in ("and", "or"):
        raise FilterError("logic", logic, "Use logic=and or logic=or.")
    return logic


def filters_q(spec: ListSpec, filters: list[Filter], logic: str, actor: Any) -> models.Q:
    combined = models.Q()
    for item in filters:
        column = spec.column(item.field)
        try:
            q = column.q(item.operator, item.value, actor)
        except FilterError:
            raise
        except Exception as exc:  # a value the field cannot read: name it
            detail = " ".join(getattr(exc, "messages", [str(exc)]))
            raise FilterError("filter", item.field, detail) from None
        combined = (combined | q) if logic == "or" and combined else (combined & q)
    return combined


def parse_sort(spec: ListSpec, raw: str | None) -> tuple[str, list[SortKey]]:
    raw = (raw or spec.default_sort).strip()
    desc = raw.startswith("-")
    key = raw.lstrip("-")
    column = spec.column(key, param="sort")
    if not column.sortable:
        raise FilterError("sort", key, f"{column.label} cannot be sorted.")
    keys = [SortKey(k.name, desc=(k.desc != desc), nullable=k.nullable, expression=k.expression) for k in column.sort]
    keys.append(SortKey("id", desc=keys[0].desc if keys else desc))
    return raw, keys


# --- typed values ---------------------------------------------------------------------------------


def split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def as_number(value: str) -> Decimal:
    try:
        return Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"“{value}” is not a number.") from None


def as_date(value: str) -> dt.date:
    parsed = parse_date(value.strip())
    if parsed is None:
        raise ValueError(f"“{value}” is not a date; write YYYY-MM-DD.")
    return parsed


def as_datetime(value: str) -> dt.datetime:
    value = value.strip()
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(f"“{value}” is not a date or time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
        parsed = dt.datetime.combine(day, dt.time.min)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def as_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ValueError(f"“{value}” is not true or false.")


def text_q(path: str, operator: str, value: str) -> models.Q:
    if operator == "eq":
        return models.Q(**{f"{path}__iexact": value})
    if operator == "ne":
        return ~models.Q(**{f"{path}__iexact": value})
    if operator == "contains":
        return models.Q(**{f"{path}__icontains": value})
    if operator == "not_contains":
        return ~models.Q(**{f"{path}__icontains": value})
    if operator == "startswith":
        return models.Q(**{f"{path}__istartswith": value})
    if operator == "endswith":
        return models.Q(**{f"{path}__iendswith": value})
    return empty_q(path, operator, blank="")


def empty_q(path: str, operator: str, blank: Any = None) -> models.Q:
    q = models.Q(**{f"{path}__isnull": True})
    if blank is not None:
        q |= models.Q(**{path: blank})
    return q if operator == "is_empty" else ~q


def compare_q(path: str, operator: str, value: Any) -> models.Q:
    lookups = {"eq": "exact", "lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte"}
    if operator == "ne":
        return ~models.Q(**{path: value}) | models.Q(**{f"{path}__isnull": True})
    return models.Q(**{f"{path}__{lookups[operator]}": value})


def choice_q(path: str, operator: str, value: str, choices: list[tuple[str, str]]) -> models.Q:
    if operator in NO_VALUE:
        return empty_q(path, operator, blank="")
    values = split_list(value) if operator in ("in", "not_in") else [value.strip()]
    known = {c[0] for c in choices}
    bad = [v for v in values if v not in known]
    if bad:
        raise ValueError(f"“{bad[0]}” is not a choice; use one of: {', '.join(sorted(known))}.")
    if operator == "eq":
        return models.Q(**{path: values[0]})
    if operator == "ne":
        return ~models.Q(**{path: values[0]})
    q = models.Q(**{f"{path}__in": values})
    return q if operator == "in" else ~q


def user_q(path: str, operator: str, value: str, actor: Any) -> models.Q:
    if operator in NO_VALUE:
        return empty_q(path, operator)
    ids = []
    for item in split_list(value) if operator in ("in", "not_in") else [value.strip()]:
        if item == "me":
            ids.append(actor.user.pk)
        elif item.isdigit():
            ids.append(int(item))
        else:
            raise ValueError(f"“{item}” is not a user id; use a number or “me”.")
    if operator == "eq":
        return models.Q(**{path: ids[0]})
    if operator == "ne":
        return ~models.Q(**{path: ids[0]}) | models.Q(**{f"{path}__isnull": True})
    q = models.Q(**{f"{path}__in": ids})
    return q if operator == "in" else ~q | models.Q(**{f"{path}__isnull": True})


# --- pages ----------------------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, Decimal):
        return ["n", str(value)]
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and value[0] in ("t", "d", "n"):
        kind, raw = value
        if kind == "t":
            return dt.datetime.fromisoformat(raw)
        if kind == "d":
            return dt.date.fromisoformat(raw)
        return Decimal(raw)
    return value


def encode_cursor(sort: str, keys: list[SortKey], row: Any) -> str:
    payload = {"s": sort, "v": [_encode_value(getattr(row, k.name)) for k in keys]}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, keys: list[SortKey]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values = [_decode_value(v) for v in payload["v"]]
        ok = payload["s"] == sort and len(values) == len(keys)
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidOperation):
        ok = False
    if not ok:
        raise FilterError("cursor", "cursor", "This cursor is not valid for this list and sort; start from page one.")
    return values


def _after_q(keys: list[SortKey], values: list[Any]) -> models.Q:
    """Rows strictly after ``values`` in the order ``keys`` (NULLs sort last on nullable keys)."""
    result = models.Q(pk__in=[])
    equal = models.Q()
    for key, value in zip(keys, values, strict=True):
        op = "lt" if key.desc else "gt"
        if value is None:
            beyond = models.Q(pk__in=[])
            same = models.Q(**{f"{key.name}__isnull": True})
        else:
            beyond = models.Q(**{f"{key.name}__{op}": value})
            if key.nullable:
                beyond |= models.Q(**{f"{key.name}__isnull": True})
            same = models.Q(**{key.name: value})
        result |= equal & beyond
        equal &= same
    first, first_value = keys[0], values[0]
    if not first.nullable and first_value is not None:
        # A plain range on the leading key lets the database walk its index from the cursor on.
        result &= models.Q(**{f"{first.name}__{'lte' if first.desc else 'gte'}": first_value})
    return result


def order_by(keys: list[SortKey]) -> list[Any]:
    result = []
    for key in keys:
        expression = models.F(key.name)
        if key.nullable:
            result.append(expression.desc(nulls_last=True) if key.desc else expression.asc(nulls_last=True))
        else:
            result.append(expression.desc() if key.desc else expression.asc())
    return result


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None
    sort: str
    keys: list[SortKey]


def keyset_page(queryset: models.QuerySet, sort: str, keys: list[SortKey], cursor: str | None, size: int) -> Page:
    annotations = {k.name: k.expression for k in keys if k.expression is not None}
    if annotations:
        queryset = queryset.annotate(**annotations)
    if cursor:
        queryset = queryset.filter(_after_q(keys, decode_cursor(cursor, sort, keys)))
    rows = list(queryset.order_by(*order_by(keys))[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(sort, keys, rows[-1]) if has_more and rows else None
    return Page(rows=rows, next_cursor=next_cursor, sort=sort, keys=keys)


@contextlib.contextmanager
def _time_budget(connection: Any, budget_ms: int) -> Iterator[None]:
    """Abort the statements of the block after ``budget_ms`` (PostgreSQL statement_timeout, SQLite progress handler)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(budget_ms)}")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        deadline = time.perf_counter() + budget_ms / 1000
        raw = connection.connection
        raw.set_progress_handler(lambda: int(time.perf_counter() > deadline), 2000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
    else:
        yield


def capped_count(queryset: models.QuerySet, cap: int = 1000, budget_ms: int = 30) -> tuple[int | None, bool]:
    """``(count, exact)``: counts at most ``cap + 1`` rows through a LIMIT subquery, within a time budget.

    A selective filter can make even a capped count read much of the table (few rows match, so
    the LIMIT is never reached); past ``budget_ms`` the count is abandoned: ``(None, False)``.
    """
    from django.db import DatabaseError, connections, transaction

    if budget_ms <= 0:
        return (None, False)
    connection = connections[queryset.db]
    try:
        with transaction.atomic(using=queryset.db), _time_budget(connection, budget_ms):
            count = queryset.order_by().values("pk")[: cap + 1].count()
    except DatabaseError:
        return (None, False)
    return (min(count, cap), count <= cap)
