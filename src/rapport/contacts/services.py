"""The only writes of companies and contacts: HTML forms, the API, bulk actions and the demo use these.

Each write validates everything first (every error at once, named by field, nested rows as
``emails.0.email``), then runs in one transaction: the version check comes first, History is
written (fields by the record's own save, nested rows and tags as one extra event) and the
record is (re)indexed for global search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from rapport.contacts import integration, nested
from rapport.contacts.models import Company, Contact, ContactCompanyHistory
from rapport.contacts.validation import normalise_phone
from rapport.core import services as core_services
from rapport.core.history import add_to_creation, record_event
from rapport.core.models import ConflictError, WorkspaceScoped
from rapport.core.permissions import Actor, can_change, visible
from rapport.core.scoping import current_audit
from rapport.tags import services as tag_services

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "company",
    "birthday",
    "lead_source",
    "lifecycle_stage",
    "lead_status",
    "owner",
    "do_not_contact",
)
COMPANY_FIELDS = (
    "name",
    "industry",
    "size",
    "annual_revenue",
    "revenue_currency",
    "phone",
    "website",
    "parent",
    "lifecycle_stage",
    "description",
    "owner",
)


@dataclass
class Nested:
    """Optional nested rows of a write; ``None`` leaves what is stored untouched."""

    emails: list[Any] | None = None
    phones: list[Any] | None = None
    addresses: list[Any] | None = None
    domains: list[Any] | None = None
    tags: list[Any] | None = None
    custom: dict[str, Any] | None = None
    cleaned: dict[str, Any] = field(default_factory=dict)


def _merge(errors: dict[str, list[str]], exc: ValidationError, prefix: str = "") -> None:
    if hasattr(exc, "error_dict"):
        for name, items in exc.error_dict.items():
            key = f"{prefix}{name}" if name != "__all__" else (prefix.rstrip(".") or "__all__")
            errors.setdefault(key, []).extend(m for e in items for m in e.messages)
    else:
        errors.setdefault(prefix.rstrip(".") or "__all__", []).extend(exc.messages)


def _resolve_fk(actor: Actor, model: type[models.Model], value: Any, name: str, errors: dict) -> Any:
    """A related company must be one the actor sees; otherwise it does not exist for them."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, model) else value
    record = visible(model.objects.all(), actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if record is None:
        errors.setdefault(name, []).append(f"No such {model._meta.verbose_name} (id {pk}).")
    return record


def _apply_fields(
    actor: Actor, record: WorkspaceScoped, data: dict[str, Any], allowed: Sequence[str], errors: dict
) -> None:
    for name in sorted(set(data) - set(allowed)):
        errors.setdefault(name, []).append("This field cannot be set here.")
    for name, value in data.items():
        if name not in allowed:
            continue
        if name in ("company", "parent"):
            setattr(record, name, _resolve_fk(actor, Company, value, name, errors))
        elif name == "owner":
            record.owner_id = getattr(value, "pk", value) or None
        else:
            if value is None and isinstance(record._meta.get_field(name), models.CharField):
                value = ""
            setattr(record, name, value)


def _clean_nested(actor: Actor, record: WorkspaceScoped, extra: Nested, record_type: str, errors: dict) -> None:
    region = actor.workspace.default_region
    steps = {
        "emails": lambda v: nested.clean_emails(v),
        "phones": lambda v: nested.clean_phones(v, region),
        "addresses": lambda v: nested.clean_addresses(v),
        "domains": lambda v: nested.clean_domains(
            v, workspace_id=actor.workspace.pk, company=record if record.pk else None
        ),
    }
    for name, clean in steps.items():
        value = getattr(extra, name)
        if value is None:
            continue
        try:
            extra.cleaned[name] = clean(value)
        except ValidationError as exc:
            _merge(errors, exc)
    if extra.custom is not None:
        try:
            defs = integration.definitions(record_type)
            cleaned = integration.clean_custom(defs, extra.custom, partial=bool(record.pk))
            record.custom = integration.merged_custom(record.custom, cleaned)
        except ValidationError as exc:
            _merge(errors, exc)


def _full_clean(record: WorkspaceScoped, errors: dict) -> None:
    exclude = [name for name in errors if "." not in name]
    try:
        record.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        _merge(errors, exc)


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _touch(record: WorkspaceScoped, **values: Any) -> None:
    """Move the version on (with the optimistic check) when only nested rows changed."""
    audit = current_audit()
    user_id = getattr(audit.actor, "pk", None)
    now = timezone.now()
    updated = (
        type(record)
        ._base_manager.filter(pk=record.pk, version=record.version)
        .update(version=models.F("version") + 1, updated_at=now, updated_by_id=user_id, **values)
    )
    if not updated:
        current = type(record)._base_manager.filter(pk=record.pk).values_list("version", flat=True).first()
        raise ConflictError(record, current)
    record.version += 1
    record.updated_at = now
    record.updated_by_id = user_id
    for name, value in values.items():
        setattr(record, name, value)


def _persist(actor: Actor, record: WorkspaceScoped, extra: Nested, denorm: dict[str, Any]) -> bool:
    """Save fields and nested rows in the caller's transaction; returns whether anything changed.

    The version check runs on every change: by the record's own save when a field changed, by
    :func:`_touch` when only nested rows did. A conflict rolls the whole transaction back.
    """
    creating = record.pk is None
    for name, value in denorm.items():
        setattr(record, name, value)
    if creating:
        record.save()
    nested_changes = _write_nested(actor, record, extra)
    fields_changed = creating or bool(record.changed_fields())
    if not creating and fields_changed:
        record.save()
    elif not creating and nested_changes:
        _touch(record, **denorm)
    if nested_changes and creating:
        add_to_creation(record, nested_changes, current_audit())
    elif nested_changes:
        record_event(record, "update", nested_changes, current_audit())
    return fields_changed or bool(nested_changes)


def _write_nested(actor: Actor, record: WorkspaceScoped, extra: Nested) -> dict[str, list[str]]:
    changes: dict[str, tuple[str, str] | None] = {}
    owner_is_contact = isinstance(record, Contact)
    if "emails" in extra.cleaned:
        changes["emails"] = nested.replace_emails(record, extra.cleaned["emails"])
    if "phones" in extra.cleaned:
        changes["phones"] = nested.replace_phones(record, extra.cleaned["phones"])
    if "addresses" in extra.cleaned:
        changes["addresses" if not owner_is_contact else "address"] = nested.replace_addresses(
            record, extra.cleaned["addresses"]
        )
    if "domains" in extra.cleaned:
        changes["domains"] = nested.replace_domains(record, extra.cleaned["domains"])
    if "tags" in extra.cleaned:
        changes["tags"] = tag_services.set_tags(actor=actor, record=record, tags=extra.cleaned["tags"], history=False)
    return {name: list(pair) for name, pair in changes.items() if pair}


# --- contacts ------------------------------------------------------------------------------------


def _contact_denorm(contact: Contact, extra: Nested) -> dict[str, Any]:
    denorm: dict[str, Any] = {}
    if "emails" in extra.cleaned:
        denorm["primary_email"] = nested.primary_of(extra.cleaned["emails"], "email")
    if "phones" in extra.cleaned:
        denorm["primary_phone"] = nested.primary_of(extra.cleaned["phones"], "number")
    return denorm


def _save_contact(actor: Actor, contact: Contact, data: dict, extra: Nested, expected_version: int | None) -> bool:
    creating = contact.pk is None
    errors: dict[str, list[str]] = {}
    _apply_fields(actor, contact, data, CONTACT_FIELDS, errors)
    _clean_nested(actor, contact, extra, integration.CONTACT_TYPE, errors)
    if extra.tags is not None:
        try:
            extra.cleaned["tags"] = tag_services.resolve_tags(actor=actor, values=extra.tags)
        except ValidationError as exc:
            _merge(errors, exc, "tags.")
    _full_clean(contact, errors)
    _raise(errors)
    if expected_version is not None and not creating and expected_version != contact.version:
        raise ConflictError(contact, contact.version)
    loaded = getattr(contact, "_loaded_values", None) or {}
    past_company = None
    if not creating and loaded.get("company_id") and loaded["company_id"] != contact.company_id:
        past_company = (loaded["company_id"], loaded.get("job_title") or "")
    with transaction.atomic():
        changed = _persist(actor, contact, extra, _contact_denorm(contact, extra))
        if past_company:
            _remember_past_company(contact, *past_company)
        if changed:
            index_contact(contact)
    return changed


def _remember_past_company(contact: Contact, company_id: int, title: str) -> None:
    """Moving a contact to another company keeps the previous one in their work history."""
    ContactCompanyHistory.objects.create(
        workspace_id=contact.workspace_id,
        contact=contact,
        company_id=company_id,
        title=title,
        end_date=timezone.localdate(),
    )


def contact_create(
    *,
    actor: Actor,
    data: dict[str, Any],
    emails: list[Any] | None = None,
    phones: list[Any] | None = None,
    addresses: list[Any] | None = None,
    tags: list[Any] | None = None,
    custom: dict[str, Any] | None = None,
) -> Contact:
    if not actor.can("records.create"):
        raise PermissionDenied("You may not create contacts.")
    data = {"owner": actor.user.pk, **data}
    contact = Contact(workspace_id=actor.workspace.pk)
    extra = Nested(emails=emails, phones=phones, addresses=addresses, tags=tags, custom=custom)
    if custom is None:
        extra.custom = {}
    _save_contact(actor, contact, data, extra, None)
    return contact


def contact_update(
    *,
    actor: Actor,
    contact: Contact,
    data: dict[str, Any] | None = None,
    emails: list[Any] | None = None,
    phones: list[Any] | None = None,
    addresses: list[Any] | None = None,
    tags: list[Any] | None = None,
    custom: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> bool:
    """Change a contact; only what is passed changes. Returns whether anything changed."""
    if not can_change(actor, contact):
        raise PermissionDenied("You may not change this contact.")
    extra = Nested(emails=emails, phones=phones, addresses=addresses, tags=tags, custom=custom)
    return _save_contact(actor, contact, data or {}, extra, expected_version)


def contact_delete(*, actor: Actor, contact: Contact, expected_version: int | None = None) -> None:
    """To the recycle bin; the search index entry goes with it (see contacts.signals)."""
    core_services.record_delete(actor=actor, record=contact, expected_version=expected_version)


def contact_restore(*, actor: Actor, contact: Contact) -> None:
    core_services.record_restore(actor=actor, record=contact)


# --- companies -----------------------------------------------------------------------------------


def _save_company(actor: Actor, company: Company, data: dict, extra: Nested, expected_version: int | None) -> bool:
    creating = company.pk is None
    errors: dict[str, list[str]] = {}
    if data.get("phone"):
        try:
            data = {**data, "phone": normalise_phone(str(data["phone"]), actor.workspace.default_region)}
        except ValidationError as exc:
            errors["phone"] = exc.messages
            data = {k: v for k, v in data.items() if k != "phone"}
    if "revenue_currency" in data and isinstance(data["revenue_currency"], str):
        data = {**data, "revenue_currency": data["revenue_currency"].strip().upper()}
    _apply_fields(actor, company, data, COMPANY_FIELDS, errors)
    _clean_nested(actor, company, extra, integration.COMPANY_TYPE, errors)
    if extra.tags is not None:
        try:
            extra.cleaned["tags"] = tag_services.resolve_tags(actor=actor, values=extra.tags)
        except ValidationError as exc:
            _merge(errors, exc, "tags.")
    _full_clean(company, errors)
    _raise(errors)
    if expected_version is not None and not creating and expected_version != company.version:
        raise ConflictError(company, company.version)
    denorm = {}
    if "domains" in extra.cleaned:
        denorm["primary_domain"] = nested.primary_of(extra.cleaned["domains"], "domain")
    with transaction.atomic():
        changed = _persist(actor, company, extra, denorm)
        if changed:
            index_company(company)
    return changed


def company_create(
    *,
    actor: Actor,
    data: dict[str, Any],
    domains: list[Any] | None = None,
    addresses: list[Any] | None = None,
    tags: list[Any] | None = None,
    custom: dict[str, Any] | None = None,
) -> Company:
    if not actor.can("records.create"):
        raise PermissionDenied("You may not create companies.")
    data = {"owner": actor.user.pk, **data}
    company = Company(workspace_id=actor.workspace.pk)
    extra = Nested(domains=domains, addresses=addresses, tags=tags, custom=custom if custom is not None else {})
    _save_company(actor, company, data, extra, None)
    return company


def company_update(
    *,
    actor: Actor,
    company: Company,
    data: dict[str, Any] | None = None,
    domains: list[Any] | None = None,
    addresses: list[Any] | None = None,
    tags: list[Any] | None = None,
    custom: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> bool:
    if not can_change(actor, company):
        raise PermissionDenied("You may not change this company.")
    extra = Nested(domains=domains, addresses=addresses, tags=tags, custom=custom)
    return _save_company(actor, company, data or {}, extra, expected_version)


def company_delete(*, actor: Actor, company: Company, expected_version: int | None = None) -> None:
    """To the recycle bin; its domains are freed for other companies until it is restored."""
    core_services.record_delete(actor=actor, record=company, expected_version=expected_version)


def company_restore(*, actor: Actor, company: Company) -> None:
    core_services.record_restore(actor=actor, record=company)


# --- search documents ----------------------------------------------------------------------------


def contact_document(contact: Contact) -> dict[str, Any]:
    """What global search keeps of a contact (also the ``describe`` of its search provider)."""
    defs = integration.definitions(integration.CONTACT_TYPE)
    company = contact.company if contact.company_id and contact.company.deleted_at is None else None
    subtitle = " · ".join(p for p in (contact.job_title, company.name if company else "") if p)
    return {
        "title": contact.full_name,
        "subtitle": subtitle or contact.primary_email,
        "texts": [contact.job_title, *(integration.custom_search_texts(defs, contact) if defs else [])],
        "emails": [e.email for e in contact.emails.all()],
        "phones": [p.number for p in contact.phones.all()],
        "domains": [],
    }


def company_document(company: Company) -> dict[str, Any]:
    defs = integration.definitions(integration.COMPANY_TYPE)
    return {
        "title": company.name,
        "subtitle": " · ".join(p for p in (company.get_industry_display(), company.primary_domain) if p),
        "texts": integration.custom_search_texts(defs, company) if defs else [],
        "emails": [],
        "phones": [company.phone] if company.phone else [],
        "domains": [d.domain for d in company.domains.all()],
    }


def index_contact(contact: Contact) -> None:
    integration.index(contact, **contact_document(contact))


def index_company(company: Company) -> None:
    integration.index(company, **company_document(company))
