"""Step 5 of the batched contacts import (:mod:`rapport.imports.batch`): the rows each table gets.

Everything a chunk of new contacts (and the companies created for them) writes, built as plain
rows without writing (:func:`_contact_steps`, so the planning-ahead path can build them in one
thread and write them in another), and written with one bulk insert per table (COPY on
PostgreSQL, multi-row INSERT on SQLite): contacts, e-mails, phones, addresses, tag links, the one
History 'create' row each, search entries, ledger rows and external ids.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from rapport.contacts import integration, nested
from rapport.contacts.models import Address, Company, CompanyDomain, Contact, EmailAddress, PhoneNumber
from rapport.contacts.validation import phone_digits
from rapport.core.history import _jsonable
from rapport.core.models import RecordHistory
from rapport.core.scoping import current_audit
from rapport.imports.models import ExternalId, ImportItem, ImportRun, ItemAction
from rapport.imports.targets import Context
from rapport.ops.indexing import ENTRY_COLUMNS, HISTORY_COLUMNS
from rapport.search.index import Document, index_many
from rapport.tags.models import TaggedItem

if TYPE_CHECKING:
    from rapport.imports.batch import _NewCompany, _Row


def _definitions(ctx: Context, record_type: str) -> list[Any]:
    if record_type not in ctx.definitions:
        ctx.definitions[record_type] = integration.definitions(record_type)
    return ctx.definitions[record_type]


class _Writer:
    """Bookkeeping shared by the bulk writes: who, when, content types."""

    def __init__(self, run: ImportRun):
        audit = current_audit()
        self.actor = audit.actor if getattr(audit.actor, "pk", None) else None
        self.source = audit.source
        self.now = timezone.now()
        self.run = run

    def stamp(self, record: Any) -> None:
        record.created_at = record.updated_at = self.now
        record.created_by_id = record.updated_by_id = self.actor.pk if self.actor else None

    def history(self, record: Any, action: str, changes: dict[str, Any]) -> RecordHistory:
        return RecordHistory(
            workspace_id=record.workspace_id,
            content_type=ContentType.objects.get_for_model(record, for_concrete_model=True),
            object_id=record.pk,
            object_repr=str(record)[:200],
            action=action,
            actor=self.actor,
            source=self.source,
            at=self.now,
            changes=_jsonable(changes),
        )

    def created(self, record: Any, nested: dict[str, Any]) -> RecordHistory:
        """The one "create" row of the service: ``record_created``'s fields plus ``nested`` (domains …)."""
        changes = {
            name: [None, value] for name, value in record.tracked_values().items() if value not in (None, "", {}, [])
        }
        return self.history(record, "create", {**changes, **nested})

    def ledger(self, row: _Row, record: Any) -> ImportItem:
        return ImportItem(
            workspace_id=self.run.workspace_id,
            run=self.run,
            row_number=row.number,
            action=ItemAction.CREATED,
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk,
            before={},
            version_after=record.version,
        )


def _write_companies(
    ctx: Context, run: ImportRun, new: list[_NewCompany], dry: bool, company_defs: list[Any] | None = None
) -> None:
    writer = _Writer(run)
    companies = [n.company for n in new]
    for company in companies:
        writer.stamp(company)
    Company.objects.bulk_create(companies)
    CompanyDomain.objects.bulk_create(
        [
            CompanyDomain(workspace_id=n.company.workspace_id, company=n.company, domain=n.domain, is_primary=True)
            for n in new
            if n.domain
        ]
    )
    history = [writer.created(n.company, {"domains": ["", n.domain]} if n.domain else {}) for n in new]
    RecordHistory.objects.bulk_create(history)
    defs = integration.definitions(integration.COMPANY_TYPE) if company_defs is None else company_defs
    domains = {n.company.pk: n.domain for n in new}
    index_many(companies, lambda c: _company_document(c, domains[c.pk], defs), chunk_size=len(companies))
    if not dry:
        ImportItem.objects.bulk_create([writer.ledger(n.row, n.company) for n in new])


def _company_document(company: Company, domain: str, defs: list[Any]) -> Document:
    """``contact_services.company_document`` of a company just created (no re-reading)."""
    return Document(
        title=company.name,
        subtitle=" · ".join(p for p in (company.get_industry_display(), company.primary_domain) if p),
        texts=integration.custom_search_texts(defs, company) if defs else [],
        phones=[company.phone] if company.phone else [],
        domains=[domain] if domain else [],
    )


def _contact_document(contact: Contact, row: _Row, defs: list[Any], title: str) -> Document:
    """``contact_services.contact_document`` from what the chunk holds (no re-reading).

    ``title`` is the contact's ``full_name``, which the caller has already worked out.
    """
    company = row.company
    job_title = contact.job_title
    subtitle = " · ".join(p for p in (job_title, company.name if company else "") if p)
    return Document(
        title=title,
        subtitle=subtitle or contact.primary_email,
        texts=[job_title, *integration.custom_search_texts(defs, contact)] if defs else [job_title],
        emails=[e["email"] for e in row.cleaned.get("emails", ())],
        phones=[p["number"] for p in row.cleaned.get("phones", ())],
    )


def _nested_changes(row: _Row) -> dict[str, list[str]]:
    """What ``contact_create`` adds to the "create" History row besides fields (``_write_nested``)."""
    changes: dict[str, list[str]] = {}
    emails = row.cleaned.get("emails") or []
    if emails:
        marks = len(emails) > 1
        changes["emails"] = [
            "",
            ", ".join(
                f"{e['email']} ({e['label']}){' (primary)' if marks and e['is_primary'] else ''}" for e in emails
            ),
        ]
    if row.cleaned.get("phones"):
        changes["phones"] = ["", ", ".join(f"{p['number']} ({p['label']})" for p in row.cleaned["phones"])]
    if row.cleaned.get("addresses"):
        lines = [Address(**{k: a.get(k, "") for k in nested.ADDRESS_FIELDS}).one_line for a in row.cleaned["addresses"]]
        changes["address"] = ["", ", ".join(lines)]
    if row.tags:
        changes["tags"] = ["", ", ".join(sorted((t.name for t in row.tags), key=str.lower))]
    return changes


_SEQUENCES: dict[str, str] = {}  # table -> its id sequence (PostgreSQL)


def _allocate(model: type, count: int) -> list[int]:
    """``count`` new primary keys of ``model``, safe against concurrent writers.

    PostgreSQL: values of the table's sequence. SQLite: the write lock is held since BEGIN
    (``transaction_mode`` IMMEDIATE), so the next free ids are ours; ``sqlite_sequence`` is read too
    so that ids of removed rows (an undone import) are never given again.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sequence = _SEQUENCES.get(table)
            if sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = _SEQUENCES[table] = cursor.fetchone()[0]
            # one array, not a row per key: fetching 1,000 rows took longer than drawing the keys
            cursor.execute("SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [sequence, count])
            return cursor.fetchone()[0] or []
        quoted = connection.ops.quote_name(table)
        sql = (
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), COALESCE((SELECT MAX(id) FROM "
        )
        cursor.execute(sql + quoted + "), 0))", [table])
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


def _insert(model: type, columns: list[str], rows: list[tuple]) -> None:
    """Plain inserts (COPY on PostgreSQL, executemany on SQLite) of rows validated beforehand."""
    from rapport.ops.bulk import Table as BulkTable

    if rows:
        BulkTable(model, columns).write(rows)


_LEDGER = ["workspace_id", "run_id", "row_number", "action", "content_type_id", "object_id", "before", "version_after"]


Step = tuple[type, list[str], list[tuple]]
_PLAIN = frozenset({str, int, bool, float})  # values _jsonable returns as they are


def _write_contacts(ctx: Context, run: ImportRun, rows: list[_Row], dry: bool) -> None:
    steps, title_keys = _contact_steps(ctx, run, rows, dry, _allocate(Contact, len(rows)))
    _write_steps(steps, title_keys)


def _write_steps(steps: list[Step], title_keys: list[str]) -> None:
    from rapport.search.index import record_title_words

    for model, columns, rows in steps:
        _insert(model, columns, rows)
    record_title_words(title_keys)


def _contact_steps(
    ctx: Context, run: ImportRun, rows: list[_Row], dry: bool, pks: list[int]
) -> tuple[list[Step], list[str]]:
    """The rows each table gets for these new contacts (keys ``pks``), built without writing anything."""
    from rapport.search.index import entry_values
    from rapport.search.models import SearchEntry

    writer = _Writer(run)
    ws = ctx.actor.workspace.pk
    actor_id = writer.actor.pk if writer.actor else None
    contact_type = ContentType.objects.get_for_model(Contact)
    type_id = contact_type.pk
    now, source = writer.now, writer.source
    # values are read from each contact's attribute dict: the descriptors of its foreign keys
    # (workspace, owner, company, the bookkeeping users) would run on every read
    columns = [f.attname for f in Contact._meta.concrete_fields]
    values_of = operator.itemgetter(*columns)
    tracked = [f.attname for f in Contact._meta.concrete_fields if f.name not in Contact.history_excluded]
    tracked_of = operator.itemgetter(*tracked)
    pk_name = Contact._meta.pk.attname
    contacts, emails, phones, addresses, tagged, history, external, entries, ledger = [], [], [], [], [], [], [], [], []
    defs = _definitions(ctx, integration.CONTACT_TYPE)
    regions: dict[int, str] = {}
    created = ItemAction.CREATED
    for row, pk in zip(rows, pks, strict=True):
        contact = row.contact
        attrs = contact.__dict__
        attrs[pk_name] = pk
        # what ``contact.company = row.company`` does, without the descriptor's checks: the
        # company is this workspace's, saved or given its key already
        company = row.company
        attrs["company_id"] = company.pk if company is not None else None
        contact._state.fields_cache["company"] = company
        attrs["created_at"] = attrs["updated_at"] = now  # writer.stamp(contact)
        attrs["created_by_id"] = attrs["updated_by_id"] = actor_id
        contact._state.adding = False
        contacts.append(values_of(attrs))
        cleaned = row.cleaned
        for i, e in enumerate(cleaned.get("emails", ())):
            emails.append((ws, pk, e["label"], e["email"], e["is_primary"], i))
        for i, p in enumerate(cleaned.get("phones", ())):
            phones.append((ws, pk, p["label"], p["number"], phone_digits(p["number"]), p["is_primary"], i))
        for i, a in enumerate(cleaned.get("addresses", ())):
            addresses.append((ws, pk, i, *(a[k] for k in nested.ADDRESS_FIELDS)))
        if row.tags:
            tagged.extend((ws, t.pk, type_id, pk, now) for t in row.tags)
        name = contact.full_name
        fields = {  # contact.tracked_values(), read in one go
            k: [None, v if type(v) in _PLAIN else _jsonable(v)]
            for k, v in zip(tracked, tracked_of(attrs), strict=True)
            if v is not None and v != "" and v != {} and v != []
        }
        fields.update(_nested_changes(row))  # one "create" row, as contact_create writes it
        history.append((ws, type_id, pk, name[:200], "create", actor_id, source, now, fields))
        if row.plan.get("external_id"):
            external.append((run.workspace_id, type_id, pk, row.plan["external_id"][:255]))
        document = _contact_document(contact, row, defs, name)
        entries.append(entry_values(contact, document, type_id, regions, now))
        if not dry:
            ledger.append((run.workspace_id, run.pk, row.number, created, type_id, pk, {}, 1))
    title_key = ENTRY_COLUMNS.index("title_key")
    steps: list[Step] = [
        (Contact, columns, contacts),
        (EmailAddress, ["workspace_id", "contact_id", "label", "email", "is_primary", "position"], emails),
        (PhoneNumber, ["workspace_id", "contact_id", "label", "number", "digits", "is_primary", "position"], phones),
        (Address, ["workspace_id", "contact_id", "position", *nested.ADDRESS_FIELDS], addresses),
        (TaggedItem, ["workspace_id", "tag_id", "content_type_id", "object_id", "created_at"], tagged),
        (RecordHistory, HISTORY_COLUMNS, history),
        (ExternalId, ["workspace_id", "content_type_id", "object_id", "value"], external),
        (SearchEntry, ENTRY_COLUMNS, entries),
        (ImportItem, _LEDGER, ledger),
    ]
    return steps, [e[title_key] for e in entries]
