"""The batched import path for contacts: one chunk of rows in a handful of queries.

It follows the per-row path (``services._process_row`` → ``targets.apply_contact`` →
``contact_services.contact_create``) rule for rule, set-based:

1. **plan** every row with ``targets.contact_plan`` (names, e-mails, phones, choices, owner by e-mail,
   the per-cell checks and warnings of the per-row path);
2. **validate** every row as ``contact_create`` does: nested e-mails / phones / addresses, custom
   fields, ``full_clean`` (foreign keys are not re-read: the owner is a member, the company one the
   actor sees, both found in bulk);
3. **dedupe** by e-mail: one query for the visible contacts having any e-mail of the chunk, plus the
   rows of the chunk created before;
4. **companies** by domain then by name (one query each; the cache of the run is shared with the
   per-row path), the missing ones created in bulk; **tags** resolved once per chunk;
5. **write** the contacts, then their e-mails, phones, addresses and tag links, the one History
   'create' row each gets from the service (fields and nested rows), the search entries, the ledger
   rows and external ids, with one bulk insert per table.

Rare rows take the per-row path and get exactly its behaviour: an update of an existing contact
(policy *update*), a tag name the tag service refuses, a company that must be created with a
domain another company owns. The creates pending before such a row are written first, so it sees
every earlier row of the file. Should a bulk write fail anyway, its savepoint is rolled back and
those rows go through the per-row path one by one (each error then reported on its row).

Signals: ``post_save`` receivers of Contact act on creation only for a contact without an owner
(lead assignment) and an import always sets one, so ``bulk_create`` skipping them changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.functions import Lower

from rapport.contacts import integration, nested
from rapport.contacts.models import Company, CompanyDomain, Contact, EmailAddress
from rapport.contacts.validation import normalise_domain
from rapport.core.lookups import AnyOf
from rapport.core.permissions import visible
from rapport.imports.batch_rows import _definitions, _write_companies, _write_contacts
from rapport.imports.models import ImportRun
from rapport.imports.readers import Table
from rapport.imports.targets import Context, RowError, RowInvalid, _values, check_cells, contact_plan
from rapport.tags import services as tag_services
from rapport.tags.models import Tag

# Rows per transaction on the batched path: each chunk carries fixed costs (a dozen queries, a COPY
# per table, a commit), and 2,500 rows took 100,000 about 0.5 s less than 1,000 on both engines
# while still committing (and showing progress) several times a second.
BATCH_CHUNK = 2500
# Foreign keys that are set from bulk lookups (or by the system), so full_clean need not re-read them.
_TRUSTED_FKS = ["workspace", "owner", "company", "parent", "created_by", "updated_by", "deleted_by"]


def enabled(run: ImportRun) -> bool:
    """Whether ``run`` takes the batched path: contacts deduped by e-mail or not at all.

    Other dedupe keys (phone, external id) and other targets use the per-row path. The setting
    ``IMPORT_BATCHED = False`` turns the batched path off (for comparisons and as an escape hatch).
    """
    return getattr(settings, "IMPORT_BATCHED", True) and run.target == "contacts" and run.dedupe_key in ("email", "")


# Model.clean_fields' fields in its order (a row's contact cleans only those it sets, and the names)
_CLEANABLE = {f.name: (i, f) for i, f in enumerate(Contact._meta.fields) if not f.generated}
_ALWAYS_CLEANED = frozenset({"first_name", "last_name"})


@dataclass
class _Row:
    index: int
    number: int
    plan: dict[str, Any]
    warnings: list[RowError]
    contact: Contact | None = None
    cleaned: dict[str, list[dict]] = field(default_factory=dict)
    action: str = "create"  # create, skip or per_row
    company: Company | None = None
    tags: list[Tag] = field(default_factory=list)


@dataclass
class _Chunk:
    """What one chunk met: outcome and report lines per row (reported in file order)."""

    outcomes: dict[int, tuple[str, list[RowError]]] = field(default_factory=dict)

    def set(self, index: int, outcome: str, errors: list[RowError]) -> None:
        self.outcomes[index] = (outcome, errors)

    def result(self) -> tuple[dict[str, int], list[dict]]:
        counts = {"created": 0, "updated": 0, "skipped": 0, "error": 0}
        errors: list[dict] = []
        for index in sorted(self.outcomes):
            outcome, row_errors = self.outcomes[index]
            counts[outcome] += 1
            errors.extend(e.as_dict() for e in row_errors)
        return counts, errors


def process_chunk(
    ctx: Context, run: ImportRun, table: Table, start: int, stop: int, dry: bool
) -> tuple[dict[str, int], list[dict]]:
    """Import rows ``start``…``stop - 1`` in the caller's transaction; returns (counts, report lines)."""
    report = _Chunk()
    rows = _plan(ctx, run, table, start, stop, report)
    _dedupe(ctx, rows)
    _resolve_tags(ctx, rows)
    created_companies = _link_companies(ctx, run, rows)
    if created_companies:
        _write_companies(ctx, run, created_companies, dry)
    pending: list[_Row] = []
    for row in rows:
        if row.action == "per_row":
            _flush(ctx, run, table, pending, dry, report)
            pending = []
            _per_row(ctx, run, table, row.index, dry, report)
        elif row.action == "skip":
            report.set(row.index, "skipped", row.warnings)
        else:
            pending.append(row)
    _flush(ctx, run, table, pending, dry, report)
    return report.result()


# --- 1. plan and 2. validate ----------------------------------------------------------------------


def _plan(ctx: Context, run: ImportRun, table: Table, start: int, stop: int, report: _Chunk) -> list[_Row]:
    from rapport.imports.services import _validation_errors

    ctx.definitions = {}  # read once per chunk (the per-row path reads them per row)
    defs = _definitions(ctx, integration.CONTACT_TYPE)
    rows: list[_Row] = []
    for index in range(start, stop):
        number = table.row_number(index)
        cells = table.rows[index]
        problems = check_cells(number, table.headers, cells, run.mapping)
        if problems:
            report.set(index, "error", problems)
            continue
        ctx.warnings = []
        try:
            plan = contact_plan(ctx, number, _values(run.mapping, table.headers, cells))
        except RowInvalid as exc:
            report.set(index, "error", exc.errors + ctx.warnings)
            continue
        row = _Row(index, number, plan, list(ctx.warnings))
        try:
            _validate(ctx, row, defs)
        except ValidationError as exc:
            report.set(index, "error", _validation_errors(number, exc, run) + row.warnings)
            continue
        rows.append(row)
    return rows


def _merge(errors: dict[str, list[str]], exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, items in exc.error_dict.items():
            errors.setdefault(name, []).extend(m for e in items for m in e.messages)
    else:
        errors.setdefault("__all__", []).extend(exc.messages)


_CONTACT_DEFAULTS: dict[str, Any] = {}


def _new_contact(**values: Any) -> Contact:
    """``Contact(**values)`` without ``Model.__init__``'s per-field work: the attribute dict it would give.

    The defaults are taken once from a real ``Contact()``; the callable ones (the two timestamps)
    are overwritten when the contact is stamped, and ``custom`` gets a dict of its own.
    """
    if not _CONTACT_DEFAULTS:
        template = Contact().__dict__
        _CONTACT_DEFAULTS.update((k, v) for k, v in template.items() if k != "_state")
    contact = Contact.__new__(Contact)
    attrs = _CONTACT_DEFAULTS.copy()
    attrs["custom"] = {}
    attrs.update(values)
    attrs["_state"] = ModelState()
    contact.__dict__ = attrs
    return contact


def _clean_fields(contact: Contact, names: Iterable[str], errors: dict[str, list[str]]) -> None:
    """``contact.clean_fields()`` of the fields ``names`` only, minus those ``errors`` already holds.

    Django's loop visits every field of the model to skip all but the two or three a row sets:
    most of its cost per row. This runs the same steps, in the same order, on those few.
    """
    found: dict[str, list[ValidationError]] = {}
    for _, model_field in sorted(_CLEANABLE[n] for n in names if n in _CLEANABLE and n not in errors):
        raw = getattr(contact, model_field.attname)
        if (model_field.blank and raw in model_field.empty_values) or isinstance(raw, DatabaseDefault):
            continue
        try:
            setattr(contact, model_field.attname, model_field.clean(raw, contact))
        except ValidationError as exc:
            found[model_field.name] = exc.error_list
    if found:
        raise ValidationError(found)


def _validate(ctx: Context, row: _Row, defs: list[Any]) -> None:
    """Build the unsaved contact and clean it as ``contact_create`` would; raises ValidationError."""
    actor, plan = ctx.actor, row.plan
    data = {"owner": actor.user.pk, **{k: v for k, v in plan["data"].items() if v not in ("", None)}}
    contact = _new_contact(workspace_id=actor.workspace.pk, owner_id=data.pop("owner"))
    for name, value in data.items():
        setattr(contact, name, value)
    errors: dict[str, list[str]] = {}
    region = actor.workspace.default_region
    steps = (
        ("emails", nested.clean_emails),
        ("phones", lambda v: nested.clean_phones(v, region)),
        ("addresses", nested.clean_addresses),
    )
    for name, clean in steps:
        if plan[name] is not None:
            try:
                row.cleaned[name] = clean(plan[name])
            except ValidationError as exc:
                _merge(errors, exc)
    if defs or plan["custom"]:  # with neither, clean_custom gives {} (but reads the workspace first)
        try:
            custom = integration.clean_custom(defs, plan["custom"] or {}, partial=False)
            contact.custom = integration.merged_custom(contact.custom, custom)
        except ValidationError as exc:
            _merge(errors, exc)
    # full_clean of the fields the row sets (the others hold their defaults), without
    # validate_unique: a new contact has no unique field to check
    for check in (lambda: _clean_fields(contact, data.keys() | _ALWAYS_CLEANED, errors), contact.clean):
        try:
            check()
        except ValidationError as exc:
            _merge(errors, exc)
    if errors:
        raise ValidationError(errors)
    if "emails" in row.cleaned:
        contact.primary_email = nested.primary_of(row.cleaned["emails"], "email")
    if "phones" in row.cleaned:
        contact.primary_phone = nested.primary_of(row.cleaned["phones"], "number")
    row.contact = contact


# --- 3. dedupe ------------------------------------------------------------------------------------


def _emails(row: _Row) -> list[str]:
    return [e["email"] for e in row.cleaned.get("emails", [])]


def _dedupe(ctx: Context, rows: list[_Row]) -> None:
    """Mark each row create / skip / per_row like ``find_existing`` + ``apply_contact`` would decide."""
    if ctx.dedupe_key != "email" or ctx.policy == "create":
        return
    wanted = {e for row in rows for e in _emails(row)}
    # the e-mails first (index (workspace, email)), then which of their few contacts the actor sees:
    # cheaper than joining every wanted e-mail to the contacts
    pairs = list(
        EmailAddress.objects.filter(AnyOf(F("email"), wanted), workspace_id=ctx.actor.workspace.pk)
        .values_list("email", "contact_id")
        .order_by()
    )
    seen = (
        set(visible(Contact.objects.filter(pk__in={c for _, c in pairs}), ctx.actor).values_list("pk", flat=True))
        if pairs
        else set()
    )
    taken = {email for email, contact_id in pairs if contact_id in seen}
    taken.update(e for e in wanted if e in ctx.created_emails)  # created by earlier chunks of this run
    for row in rows:
        emails = _emails(row)
        if emails and any(e in taken for e in emails):
            row.action = "skip" if ctx.policy == "skip" else "per_row"
        taken.update(emails)  # a later row with one of these e-mails finds this row's contact


# --- 4. tags and companies ------------------------------------------------------------------------


def _tag_key(name: str) -> str:
    return " ".join(name.split()).lower()


def _resolve_tags(ctx: Context, rows: list[_Row], create_missing: bool = True) -> bool:
    """The chunk's tags in one lookup (missing ones created by the tag service, as per row).

    With ``create_missing`` False (planning ahead writes nothing) returns False when a tag is
    missing or refused: the chunk then takes the ordinary path, which creates it.
    """
    creating = [row for row in rows if row.action == "create"]
    names: dict[str, str] = {}
    for row in creating:
        for name in row.plan["tags"] + ctx.tags:
            names.setdefault(_tag_key(name), name)
    if not names:
        return True
    by_key: dict[str, Tag] = {}
    try:
        found = tag_services.resolve_tags(actor=ctx.actor, values=list(names.values()), create_missing=create_missing)
        by_key = dict(zip(names, found, strict=True))
    except ValidationError:  # a name the service refuses: resolve one by one, its rows go per row
        if not create_missing:
            return False
        for key, name in names.items():
            try:
                by_key[key] = tag_services.resolve_tags(actor=ctx.actor, values=[name])[0]
            except ValidationError:
                continue
    for row in creating:
        keys = [_tag_key(n) for n in row.plan["tags"] + ctx.tags]
        if any(k not in by_key for k in keys):
            row.action = "per_row"
            continue
        seen: set[int] = set()
        row.tags = [by_key[k] for k in keys if not (by_key[k].pk in seen or seen.add(by_key[k].pk))]
    return True


@dataclass
class _NewCompany:
    row: _Row
    company: Company
    domain: str


def _domain(text: str) -> str:
    try:
        return normalise_domain(text) if text else ""
    except ValidationError:
        return ""


def _link_companies(ctx: Context, run: ImportRun, rows: list[_Row]) -> list[_NewCompany]:
    """Each row's company as ``targets._find_company`` finds it; returns the companies to create.

    Rows are walked in file order so that a company created for one row is found, by domain or by
    name, by the rows after it (as when the rows are written one by one).
    """
    actor = ctx.actor
    wanted = [(row, row.plan["company"][0].strip(), _domain(row.plan["company"][1])) for row in rows]
    wanted = [w for w in wanted if w[1] or w[2]]
    if not wanted:
        return []
    domains = {d for _, _, d in wanted if d}
    live = dict(
        CompanyDomain.objects.filter(workspace_id=actor.workspace.pk, domain__in=domains, is_live=True).values_list(
            "domain", "company_id"
        )
    )
    seen = {c.pk: c for c in visible(Company.objects.all(), actor).filter(pk__in=set(live.values()))}
    by_domain = {d: seen[pk] for d, pk in live.items() if pk in seen}
    by_domain.update((d, ctx.companies_by_domain[d]) for d in domains if d in ctx.companies_by_domain)
    keys = {name.lower() for _, name, _ in wanted if name and name.lower() not in ctx.companies_by_name}
    by_name: dict[str, Company] = {}
    if keys:
        found = (
            visible(Company.objects.all(), actor).annotate(lname=Lower("name")).filter(lname__in=keys).order_by("id")
        )
        for company in found:
            by_name.setdefault(company.name.strip().lower(), company)
    company_defs = _definitions(ctx, integration.COMPANY_TYPE)
    created: list[_NewCompany] = []
    for row, name, domain in wanted:
        if domain and domain in by_domain:
            row.company = by_domain[domain]
            continue
        if not name:
            continue
        key = name.lower()
        if key not in ctx.companies_by_name and key in by_name:
            ctx.companies_by_name[key] = by_name[key]
        if key in ctx.companies_by_name:
            row.company = ctx.companies_by_name[key]
            continue
        if domain and domain in live:  # the domain belongs to a company the actor cannot see
            row.action = "per_row"  # company_create refuses it there, with its message
            continue
        company = _new_company(ctx, name, domain, company_defs)
        if company is None:
            row.action = "per_row"
            continue
        ctx.companies_by_name[key] = row.company = company
        created.append(_NewCompany(row, company, domain))
        if domain:
            by_domain[domain] = ctx.companies_by_domain[domain] = company
    return created


def _new_company(ctx: Context, name: str, domain: str, defs: list[Any]) -> Company | None:
    """An unsaved company as ``company_create(data={"name": …}, domains=[…])`` makes it, or None if invalid."""
    actor = ctx.actor
    company = Company(workspace_id=actor.workspace.pk, owner_id=actor.user.pk, name=name[:200], primary_domain=domain)
    try:
        if defs:  # without definitions clean_custom gives {} (but reads the workspace first)
            company.custom = integration.merged_custom(
                company.custom, integration.clean_custom(defs, {}, partial=False)
            )
        company.full_clean(exclude=_TRUSTED_FKS, validate_constraints=False)
    except ValidationError:
        return None
    return company


# --- 5. writes (rows built and written by rapport.imports.batch_rows) -------------------------------


def _flush(ctx: Context, run: ImportRun, table: Table, rows: list[_Row], dry: bool, report: _Chunk) -> None:
    """Write the pending creates; if the database refuses the batch, take those rows one by one."""
    if not rows:
        return
    try:
        with transaction.atomic():
            _write_contacts(ctx, run, rows, dry)
    except DatabaseError:
        for row in rows:
            _per_row(ctx, run, table, row.index, dry, report)
        return
    for row in rows:
        report.set(row.index, "created", row.warnings)


def _per_row(ctx: Context, run: ImportRun, table: Table, index: int, dry: bool, report: _Chunk) -> None:
    from rapport.imports.services import _process_row

    outcome, errors, _ = _process_row(ctx, run, table, index, dry)
    report.set(index, outcome, errors)
