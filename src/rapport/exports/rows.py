"""Export rows at speed: values per keyset chunk, one formatter per column, related rows per chunk.

The list columns (``rapport.contacts.columns``) format a *model instance*; building a million
instances (with their History snapshots) is what made a large export take minutes. Here each column
the export knows is compiled once per export into the database values it needs (``values_list``
paths, joined in the same query) and a small function from the fetched row tuple to the final cell:
text exactly as the list column shows it, already formula-neutralised (:func:`formats.neutralise`).
Rows come in keyset chunks over the primary key; per chunk, tags and owners are fetched in one query
each. A column this table does not know (another app's spec) makes :func:`plan_for` return None,
and the export falls back to the model-instance path, so output never silently changes.

The equivalence with the list columns is checked by tests/exports (every column, both paths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models

from rapport.contacts.listing import ListSpec
from rapport.contacts.models import (
    Address,
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
Formatter = Callable[[Row], Any]

_STARTS = frozenset(FORMULA_START)  # every formula start is one character (tests/exports checks it)


def cell(value: Any) -> str:
    """``None`` → "", anything else its text, formula-neutralised (what the CSV writer did per cell)."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return "'" + text if text[:1] in _STARTS else text


class Plan:
    """What one export fetches per row, and how each output column is built from it."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields: list[str] = ["pk"]
        self.cells: list[Formatter] = []
        self.tags: dict[int, str] | None = None  # object id -> "a, b" for the current chunk
        self.owners: dict[int, str] | None = None  # user id -> display name (grows per chunk)
        self._owner_index = -1

    def at(self, path: str) -> int:
        """The position of ``path`` in the fetched row (added to the query when new)."""
        if path not in self.fields:
            self.fields.append(path)
        return self.fields.index(path)

    def want_owners(self) -> tuple[int, dict[int, str]]:
        """The owner id's position in the row, and the names :meth:`prepare` fills in per chunk."""
        if self.owners is None:
            self.owners = {}
        self._owner_index = self.at("owner_id")
        return self._owner_index, self.owners

    def prepare(self, rows: Sequence[Row]) -> None:
        """Fetch what this chunk's rows point at: tags (one query), owners not yet known (one query)."""
        if self.tags is not None:
            self.tags = _tags_for(self.model, [r[0] for r in rows])
        if self.owners is not None:
            missing = {r[self._owner_index] for r in rows} - self.owners.keys() - {None}
            if missing:
                users = get_user_model()._base_manager.filter(pk__in=missing)
                for pk, full_name, email in users.values_list("pk", "full_name", "email"):
                    self.owners[pk] = cell(full_name or email)

    def row(self, values: Row) -> list[Any]:
        return [values[0], *[f(values) for f in self.cells]]


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


# --- column builders: (plan, column, context) -> formatter --------------------------------------


def _attr(name: str) -> Callable[..., Formatter]:
    def build(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
        i = plan.at(name)
        return lambda row: cell(row[i])

    return build


def _choice(name: str, choices: list[tuple[str, str]]) -> Callable[..., Formatter]:
    labels = {value: cell(label) for value, label in choices}

    def build(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
        i = plan.at(name)

        def fmt(row: Row) -> str:
            value = row[i]
            found = labels.get(value)
            return found if found is not None else cell(value or "")

        return fmt

    return build


def _moment(name: str) -> Callable[..., Formatter]:
    def build(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
        i = plan.at(name)
        return lambda row: row[i].strftime("%Y-%m-%d %H:%M") if row[i] else ""

    return build


def _date(name: str) -> Callable[..., Formatter]:
    def build(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
        i = plan.at(name)
        return lambda row: row[i].isoformat() if row[i] else ""

    return build


def _phone(name: str) -> Callable[..., Formatter]:
    def build(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
        i, region = plan.at(name), ctx["region"]
        return lambda row: cell(format_phone(row[i], region)) if row[i] else ""

    return build


def _link(name: str) -> Callable[..., Formatter]:
    """A company link column: the name, or "" when there is none or it is in the recycle bin."""

    def build(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
        i, n, d = plan.at(f"{name}_id"), plan.at(f"{name}__name"), plan.at(f"{name}__deleted_at")
        return lambda row: "" if row[i] is None or row[d] is not None else cell(row[n])

    return build


def _owner(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
    i, owners = plan.want_owners()
    return lambda row: owners.get(row[i], "") if row[i] is not None else ""


def _tags(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
    plan.tags = {}
    return lambda row: plan.tags.get(row[0], "")  # type: ignore[union-attr]


def _contact_name(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
    f, la, e = plan.at("first_name"), plan.at("last_name"), plan.at("primary_email")

    def fmt(row: Row) -> str:
        first, last = row[f], row[la]
        name = (f"{first} {last}" if first and last else first or last) or row[e] or f"Contact {row[0]}"
        return cell(name)

    return fmt


def _revenue(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
    a, c = plan.at("annual_revenue"), plan.at("revenue_currency")
    return lambda row: cell(f"{row[a]:,.0f} {row[c]}") if row[a] is not None else ""


def _bool_yes(name: str) -> Callable[..., Formatter]:
    def build(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
        i = plan.at(name)
        return lambda row: "Yes" if row[i] else ""

    return build


def _custom(plan: Plan, column: Any, ctx: dict[str, Any]) -> Formatter:
    """A custom field: ``display_value`` per distinct stored value (cached: the same few values repeat)."""
    definition, key, i = column.definition, column.definition.key, plan.at("custom")
    seen: dict[tuple[type, Any], str] = {}

    def fmt(row: Row) -> str:
        value = (row[i] or {}).get(key)
        if value is None:
            return cell(display_value(definition, None))
        try:
            return seen[type(value), value]
        except KeyError:
            text = seen[type(value), value] = cell(display_value(definition, value))
            return text
        except TypeError:  # a list or dict (multi-select, money): not hashable
            return cell(display_value(definition, value))

    return fmt


_COMMON: dict[str, Callable[..., Formatter]] = {
    "owner": _owner,
    "lifecycle_stage": _choice("lifecycle_stage", LifecycleStage.choices),
    "tags": _tags,
    "created_at": _moment("created_at"),
    "updated_at": _moment("updated_at"),
}

BUILDERS: dict[str, dict[str, Callable[..., Formatter]]] = {
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
    plan = Plan(model)
    ctx = {"region": region}
    for key in columns:
        column = spec.columns[key]
        if column.definition is not None:
            build = _custom
        elif key in builders:
            build = builders[key]
        else:
            return None
        plan.cells.append(build(plan, column, ctx))
    return plan


def chunks(queryset: models.QuerySet, fields: list[str], size: int) -> Iterator[list[Row]]:
    """``values_list(*fields)`` rows in keyset chunks over the primary key (the first field)."""
    values = queryset.values_list(*fields).order_by("pk")
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


def rows(queryset: models.QuerySet, plan: Plan, size: int) -> Iterator[list[list[Any]]]:
    """Export rows (``[pk, cell, …]``), one list per chunk."""
    for chunk in chunks(queryset, plan.fields, size):
        plan.prepare(chunk)
        make = plan.row
        yield [make(values) for values in chunk]


# --- vCard ---------------------------------------------------------------------------------------

_VCARD_FIELDS = ["pk", "first_name", "last_name", "company_id", "company__name", "job_title", "birthday"]
_ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")


def vcard_records(queryset: models.QuerySet, size: int) -> Iterator[dict[str, Any]]:
    """Contacts as the dicts :func:`formats.vcard` takes; e-mails, phones, addresses one query each per chunk."""
    for chunk in chunks(queryset, _VCARD_FIELDS, size):
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
