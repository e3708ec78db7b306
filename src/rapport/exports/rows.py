"""Export rows at speed: values per keyset chunk, one formatter per column, related rows per chunk.

The list columns (``rapport.contacts.columns``) format a *model instance*; building a million
instances (with their History snapshots) is what made a large export take minutes. Here each column
the export knows is compiled once per export into the database values it needs (``values_list``
paths; dates and custom values formatted or extracted by the database) and a function from a chunk
of fetched row tuples to that column's cells: text exactly as the list column shows it, already
formula-neutralised (:func:`formats.neutralise`). Rows come in keyset chunks over the primary key;
per chunk, tags are fetched in one query, and the owners and companies not seen yet in one query
each (remembered, rather than joined to every row). A column this table does not know (another
app's spec) makes :func:`plan_for` return None, and the export falls back to the model-instance
path, so the output never silently changes.

The equivalence with the list columns is checked by tests/exports (every column, both paths).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models

from rapport.contacts.listing import ListSpec
from rapport.contacts.models import (
    Address,
    Company,
    CompanySize,
    EmailAddress,
    EmailConsent,
    Industry,
    LeadSource,
    LeadStatus,
    LifecycleStage,
    PhoneNumber,
)
from rapport.contacts.validation import format_phone
from rapport.customfields.values import display_value
from rapport.exports.formats import FORMULA_START

Row = tuple[Any, ...]
Column = Callable[[list[Row]], list[Any]]  # a chunk of fetched rows -> that column's cells

_STARTS = frozenset(FORMULA_START)  # every formula start is one character (tests/exports checks it)


def cell(value: Any) -> str:
    """``None`` → "", anything else its text, formula-neutralised (what the CSV writer did per cell)."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return "'" + text if text[:1] in _STARTS else text


def texts(values: Iterable[Any]) -> list[str]:
    """:func:`cell` over many values, inlined for the common case (a string)."""
    starts = _STARTS
    return [("'" + v if v[:1] in starts else v) if type(v) is str else cell(v) for v in values]


class MinuteText(models.Func):
    """A date-time as "YYYY-MM-DD HH:MM" (UTC), formatted by the database (no datetime objects)."""

    output_field = models.CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char(({sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])  # stored as "YYYY-MM-DD HH:MM:SS…" (UTC)
        return f"substr({sql}, 1, 16)", params


class JsonKeyText(models.Func):
    """The JSON text of one key of a JSON column (``'"en"'``, ``'true'``…), None when absent."""

    output_field = models.TextField()

    def __init__(self, expression: Any, key: str):
        super().__init__(expression)
        self.key = key

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) -> %s)::text", [*params, self.key]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) -> %s)", [*params, '$."' + self.key.replace('"', '\\"') + '"']


def _fast_sql(connection: Any) -> bool:
    """Whether the database formats dates and extracts JSON keys for us (else Python does)."""
    return connection.vendor in ("postgresql", "sqlite")


class Plan:
    """What one export fetches per row, and how each output column is built from it."""

    def __init__(self, model: type[models.Model], region: str = "", fast_sql: bool = True):
        self.model = model
        self.region = region
        self.fast_sql = fast_sql
        self.fields: list[str] = ["pk"]
        self.expressions: dict[str, Any] = {}
        self.columns: list[Column] = []
        self.tags: dict[int, str] | None = None  # object id -> "a, b" for the current chunk
        self.lookups: dict[str, Lookup] = {}  # foreign key -> the cells of the rows it points at

    def at(self, path: str, expression: Any = None) -> int:
        """The position of ``path`` in the fetched row (added to the query when new).

        With ``expression``, ``path`` is the alias the expression is fetched under.
        """
        if path not in self.fields:
            self.fields.append(path)
            if expression is not None:
                self.expressions[path] = expression
        return self.fields.index(path)

    def lookup(self, fk: str, fetch: Callable[[set[int]], Iterable[tuple[int, str]]]) -> tuple[int, dict[int, str]]:
        """The position of foreign key ``fk`` in the row, and the cells of what it points at.

        :meth:`prepare` fills the cells of ids not seen yet, per chunk, through ``fetch(ids)``.
        """
        if fk not in self.lookups:
            self.lookups[fk] = Lookup(self.at(fk), fetch)
        found = self.lookups[fk]
        return found.index, found.cells

    def values(self, queryset: models.QuerySet) -> models.QuerySet:
        """The queryset of row tuples this plan reads."""
        if self.expressions:
            queryset = queryset.annotate(**self.expressions)
        return queryset.values_list(*self.fields)

    def prepare(self, rows: Sequence[Row]) -> None:
        """Fetch what this chunk's rows point at: tags (one query); owners, companies not seen yet."""
        if self.tags is not None:
            self.tags = _tags_for(self.model, [r[0] for r in rows])
        for lookup in self.lookups.values():
            lookup.fill(rows)

    def build(self, rows: list[Row]) -> list[tuple[Any, ...]]:
        """Export rows ``(id, cell, …)`` for a chunk, column by column."""
        self.prepare(rows)
        return list(zip([r[0] for r in rows], *[column(rows) for column in self.columns], strict=True))


class Lookup:
    """Cells of the rows a foreign key points at, fetched once per id (not joined per exported row).

    Joining the company to each of a million contacts costs the database an index probe per row;
    asking once per company, and remembering the answer, costs one probe per company.
    """

    LIMIT = 200_000  # ids remembered; past that the memo starts again (memory stays bounded)
    BATCH = 2_000  # ids per query (SQLite caps the number of parameters)

    def __init__(self, index: int, fetch: Callable[[set[int]], Iterable[tuple[int, str]]]):
        self.index = index
        self.fetch = fetch
        self.cells: dict[int, str] = {}

    def fill(self, rows: Sequence[Row]) -> None:
        i, cells = self.index, self.cells
        missing = sorted({r[i] for r in rows} - cells.keys() - {None})
        if len(cells) + len(missing) > self.LIMIT:
            cells.clear()
            missing = sorted({r[i] for r in rows} - {None})
        for start in range(0, len(missing), self.BATCH):
            batch = set(missing[start : start + self.BATCH])
            cells.update(self.fetch(batch))
            cells.update((pk, "") for pk in batch - cells.keys())  # gone meanwhile: shown empty


def _users(ids: set[int]) -> Iterable[tuple[int, str]]:
    """``User.display_name`` (full name, else e-mail) per user id."""
    rows = get_user_model()._base_manager.filter(pk__in=ids).values_list("pk", "full_name", "email")
    return ((pk, cell(full_name or email)) for pk, full_name, email in rows)


def _companies(ids: set[int]) -> Iterable[tuple[int, str]]:
    """A company link's text per company id: its name, "" when it is in the recycle bin."""
    rows = Company._base_manager.filter(pk__in=ids).values_list("pk", "name", "deleted_at")
    return ((pk, "" if deleted_at is not None else cell(name)) for pk, name, deleted_at in rows)


def id_lookup(field: str, ids: Sequence[int]) -> dict[str, Any]:
    """Rows pointing at ``ids`` (ascending): a range when the ids are dense, else an IN list."""
    if ids and ids[-1] - ids[0] < 2 * len(ids):
        return {f"{field}__gte": ids[0], f"{field}__lte": ids[-1]}
    return {f"{field}__in": list(ids)}


def _tags_for(model: type[models.Model], ids: list[int]) -> dict[int, str]:
    """Live tag names per record, sorted like ``current_tags`` (case-insensitive), joined by ", "."""
    from rapport.tags.models import TaggedItem

    if not ids:
        return {}
    wanted = set(ids)
    names: dict[int, list[str]] = {}
    items = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        tag__deleted_at__isnull=True,
        **id_lookup("object_id", ids),
    ).values_list("object_id", "tag__name")
    for object_id, name in items:
        if object_id in wanted:
            names.setdefault(object_id, []).append(name)
    return {pk: cell(", ".join(sorted(tags, key=str.lower))) for pk, tags in names.items()}


# --- column builders: (plan, list column) -> chunk formatter -------------------------------------

Builder = Callable[[Plan, Any], Column]
CACHE_LIMIT = 50_000  # distinct values remembered per column (then the memo starts again)


def _attr(name: str) -> Builder:
    def build(plan: Plan, column: Any) -> Column:
        i = plan.at(name)
        return lambda rows: texts([r[i] for r in rows])

    return build


def _choice(name: str, choices: list[tuple[str, str]]) -> Builder:
    """A choice shows its label; a value no longer among the choices shows as stored."""
    labels = {value: cell(label) for value, label in choices}

    def build(plan: Plan, column: Any) -> Column:
        i = plan.at(name)

        def col(rows: list[Row]) -> list[str]:
            get = labels.get
            return [get(r[i]) or cell(r[i] or "") for r in rows]

        return col

    return build


def _moment(name: str) -> Builder:
    """ "YYYY-MM-DD HH:MM" like the list (``_dt``): by the database when it can, else in Python."""

    def build(plan: Plan, column: Any) -> Column:
        if plan.fast_sql:
            i = plan.at(f"_export_{name}_minute", MinuteText(name))
            return lambda rows: [r[i] or "" for r in rows]
        i = plan.at(name)
        return lambda rows: [r[i].strftime("%Y-%m-%d %H:%M") if r[i] else "" for r in rows]

    return build


def _date(name: str) -> Builder:
    def build(plan: Plan, column: Any) -> Column:
        i = plan.at(name)
        return lambda rows: [r[i].isoformat() if r[i] else "" for r in rows]

    return build


def _phone(name: str) -> Builder:
    """A phone in national or international form (libphonenumber: ~20 µs a number, so memoised)."""

    def build(plan: Plan, column: Any) -> Column:
        i, region = plan.at(name), plan.region
        memo: dict[str, str] = {"": ""}

        def show(number: str) -> str:
            if len(memo) >= CACHE_LIMIT:
                memo.clear()
                memo[""] = ""
            text = memo[number] = cell(format_phone(number, region))
            return text

        def col(rows: list[Row]) -> list[str]:
            get = memo.get
            return [text if (text := get(r[i])) is not None else show(r[i]) for r in rows]

        return col

    return build


def _link(name: str) -> Builder:
    """A company link column: the name, or "" when there is none or it is in the recycle bin."""

    def build(plan: Plan, column: Any) -> Column:
        i, names = plan.lookup(f"{name}_id", _companies)
        return lambda rows: [names.get(r[i], "") for r in rows]

    return build


def _owner(plan: Plan, column: Any) -> Column:
    i, owners = plan.lookup("owner_id", _users)
    return lambda rows: [owners.get(r[i], "") for r in rows]


def _tags(plan: Plan, column: Any) -> Column:
    plan.tags = {}
    return lambda rows: [plan.tags.get(r[0], "") for r in rows]  # type: ignore[union-attr]


def _contact_name(plan: Plan, column: Any) -> Column:
    """``Contact.full_name``: first and last name, else the primary e-mail, else "Contact <id>"."""
    f, la, e = plan.at("first_name"), plan.at("last_name"), plan.at("primary_email")

    def name(row: Row) -> str:
        first, last = row[f], row[la]
        return (f"{first} {last}" if first and last else first or last) or row[e] or f"Contact {row[0]}"

    return lambda rows: texts([name(r) for r in rows])


def _revenue(plan: Plan, column: Any) -> Column:
    a, c = plan.at("annual_revenue"), plan.at("revenue_currency")
    return lambda rows: [cell(f"{r[a]:,.0f} {r[c]}") if r[a] is not None else "" for r in rows]


def _bool_yes(name: str) -> Builder:
    def build(plan: Plan, column: Any) -> Column:
        i = plan.at(name)
        return lambda rows: ["Yes" if r[i] else "" for r in rows]

    return build


def _custom(plan: Plan, column: Any) -> Column:
    """A custom field: ``display_value`` once per distinct stored value (the same few values repeat).

    The database hands over the key's JSON text, so the memo is keyed by that text and a row costs
    one dict lookup; without that support the whole ``custom`` object is decoded per row.
    """
    definition = column.definition
    key = definition.key
    memo: dict[Any, str] = {}

    def show(raw: str | None) -> str:
        if len(memo) >= CACHE_LIMIT:
            memo.clear()
        text = memo[raw] = cell(display_value(definition, None if raw is None else json.loads(raw)))
        return text

    if plan.fast_sql:
        i = plan.at(f"_export_custom_{key}", JsonKeyText("custom", key))

        def col(rows: list[Row]) -> list[str]:
            get = memo.get
            return [text if (text := get(r[i])) is not None else show(r[i]) for r in rows]

        return col
    i = plan.at("custom")
    return lambda rows: [cell(display_value(definition, (r[i] or {}).get(key))) for r in rows]


_COMMON: dict[str, Builder] = {
    "owner": _owner,
    "lifecycle_stage": _choice("lifecycle_stage", LifecycleStage.choices),
    "tags": _tags,
    "created_at": _moment("created_at"),
    "updated_at": _moment("updated_at"),
}

BUILDERS: dict[str, dict[str, Builder]] = {
    "contact": {
        **_COMMON,
        "name": _contact_name,
        "first_name": _attr("first_name"),
        "last_name": _attr("last_name"),
        "email": _attr("primary_email"),
        "phone": _phone("primary_phone"),
        "company": _link("company"),
        "job_title": _attr("job_title"),
        "lead_status": _choice("lead_status", LeadStatus.choices),
        "lead_source": _choice("lead_source", LeadSource.choices),
        "birthday": _date("birthday"),
        "email_consent": _choice("email_consent", EmailConsent.choices),
        "do_not_contact": _bool_yes("do_not_contact"),
    },
    "company": {
        **_COMMON,
        "name": _attr("name"),
        "domain": _attr("primary_domain"),
        "industry": _choice("industry", Industry.choices),
        "size": _choice("size", CompanySize.choices),
        "annual_revenue": _revenue,
        "phone": _phone("phone"),
        "website": _attr("website"),
        "parent": _link("parent"),
    },
}


def plan_for(
    record_type: str, spec: ListSpec, columns: list[str], model: type[models.Model], region: str
) -> Plan | None:
    """The fast plan for these columns, or None when one of them is not known here."""
    builders = BUILDERS.get(record_type)
    if builders is None:
        return None
    plan = Plan(model, region, _fast_sql(connection))
    for key in columns:
        column = spec.columns[key]
        if column.definition is not None:
            build = _custom
        elif key in builders:
            build = builders[key]
        else:
            return None
        plan.columns.append(build(plan, column))
    return plan


def chunks(values: models.QuerySet, size: int) -> Iterator[list[Row]]:
    """Rows of a ``values_list`` queryset (first field: the pk) in keyset chunks over the primary key."""
    values = values.order_by("pk")
    last = None
    while True:
        page = values if last is None else values.filter(pk__gt=last)
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1][0]


def rows(queryset: models.QuerySet, plan: Plan, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Export rows (``(id, cell, …)``), one list per chunk."""
    for chunk in chunks(plan.values(queryset), size):
        yield plan.build(chunk)


# --- vCard ---------------------------------------------------------------------------------------

_VCARD_FIELDS = ["pk", "first_name", "last_name", "company_id", "company__name", "job_title", "birthday"]
_ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")


def vcard_records(queryset: models.QuerySet, size: int) -> Iterator[dict[str, Any]]:
    """Contacts as the dicts :func:`formats.vcard` takes; e-mails, phones, addresses one query each per chunk."""
    for chunk in chunks(queryset.values_list(*_VCARD_FIELDS), size):
        ids = [r[0] for r in chunk]
        wanted = set(ids)
        emails: dict[int, list[tuple[str, str]]] = {}
        for contact_id, email, label in (
            EmailAddress.objects.filter(**id_lookup("contact_id", ids))
            .order_by("contact_id", "position", "id")
            .values_list("contact_id", "email", "label")
        ):
            if contact_id in wanted:
                emails.setdefault(contact_id, []).append((email, label))
        phones: dict[int, list[tuple[str, str]]] = {}
        for contact_id, number, label in (
            PhoneNumber.objects.filter(**id_lookup("contact_id", ids))
            .order_by("contact_id", "position", "id")
            .values_list("contact_id", "number", "label")
        ):
            if contact_id in wanted:
                phones.setdefault(contact_id, []).append((number, label))
        addresses: dict[int, list[dict[str, str]]] = {}
        for contact_id, *parts in (
            Address.objects.filter(**id_lookup("contact_id", ids))
            .order_by("contact_id", "position", "id")
            .values_list("contact_id", *_ADDRESS_PARTS)
        ):
            if contact_id in wanted:
                addresses.setdefault(contact_id, []).append(dict(zip(_ADDRESS_PARTS, parts, strict=True)))
        for pk, first_name, last_name, company_id, company_name, job_title, birthday in chunk:
            yield {
                "first_name": first_name,
                "last_name": last_name,
                "company": company_name if company_id else "",
                "job_title": job_title,
                "emails": emails.get(pk, []),
                "phones": phones.get(pk, []),
                "addresses": addresses.get(pk, []),
                "birthday": birthday.isoformat() if birthday else "",
                "uid": f"rapport-contact-{pk}",
            }
