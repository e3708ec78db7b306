"""Writes around a contact: consent, relationships, roles at companies, past companies, saved views.

Each one checks that the actor may change the contact it hangs off, runs in a transaction and
leaves a History event on the contact (or contacts) concerned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.contacts.models import (
    Company,
    ConsentEvent,
    Contact,
    ContactCompanyHistory,
    ContactRole,
    ContactRoleKind,
    EmailConsent,
    Relationship,
    RelationshipKind,
    SavedView,
)
from rapport.core.history import record_event
from rapport.core.permissions import Actor, can_change, can_view
from rapport.core.scoping import current_audit


def _require_change(actor: Actor, contact: Contact) -> None:
    if not can_change(actor, contact):
        raise PermissionDenied("You may not change this contact.")


def _require_view(actor: Actor, record: Any, name: str) -> None:
    if record is None or record.deleted_at is not None or not can_view(actor, record):
        raise ValidationError({name: f"No such {name.replace('_', ' ')}."})


# --- consent --------------------------------------------------------------------------------------


def contact_record_consent(
    *,
    actor: Actor,
    contact: Contact,
    status: str,
    source: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> ConsentEvent:
    """Record an email opt-in or opt-out; the contact's current consent follows the latest event."""
    _require_change(actor, contact)
    errors: dict[str, str] = {}
    if status not in (EmailConsent.OPTED_IN, EmailConsent.OPTED_OUT):
        errors["status"] = "Choose opted_in or opted_out."
    source = " ".join(str(source or "").split())
    if not source:
        errors["source"] = "Say where the person gave or withdrew consent (web form, phone call, email...)."
    elif len(source) > 120:
        errors["source"] = "At most 120 characters."
    if len(note or "") > 300:
        errors["note"] = "At most 300 characters."
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        errors["at"] = "Give a time with a time zone."
    elif at > now + dt.timedelta(minutes=5):
        errors["at"] = "Consent cannot be recorded in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = ConsentEvent.objects.create(
            workspace_id=contact.workspace_id,
            contact=contact,
            status=status,
            at=at,
            source=source,
            note=note or "",
            actor_id=actor.user.pk,
        )
        latest = ConsentEvent.objects.filter(contact=contact).order_by("-at", "-id").first()
        contact.email_consent = latest.status
        contact.email_consent_at = latest.at
        contact.email_consent_source = latest.source
        if contact.changed_fields():
            contact.save()
    return event


def contact_set_do_not_contact(*, actor: Actor, contact: Contact, value: bool) -> bool:
    from rapport.contacts.services import contact_update

    return contact_update(actor=actor, contact=contact, data={"do_not_contact": bool(value)})


# --- relationships between contacts ---------------------------------------------------------------


def relationship_add(*, actor: Actor, from_contact: Contact, to_contact: Contact | None, kind: str) -> Relationship:
    _require_change(actor, from_contact)
    _require_view(actor, to_contact, "to_contact")
    if kind not in RelationshipKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(RelationshipKind.values)}."})
    if to_contact.pk == from_contact.pk:
        raise ValidationError({"to_contact": "A contact cannot be related to themselves."})
    if Relationship.objects.filter(from_contact=from_contact, to_contact=to_contact, kind=kind).exists():
        raise ValidationError({"to_contact": "This relationship is already recorded."})
    with transaction.atomic():
        relationship = Relationship.objects.create(
            workspace_id=from_contact.workspace_id,
            from_contact=from_contact,
            to_contact=to_contact,
            kind=kind,
            created_by_id=actor.user.pk,
        )
        label = RelationshipKind(kind).label.lower()
        audit = current_audit()
        record_event(from_contact, "update", {"relationships": ["", f"{label} {to_contact}"]}, audit)
        record_event(
            to_contact, "update", {"relationships": ["", f"{relationship.inverse_label.lower()} {from_contact}"]}, audit
        )
    return relationship


def relationship_remove(*, actor: Actor, relationship: Relationship) -> None:
    if not (can_change(actor, relationship.from_contact) or can_change(actor, relationship.to_contact)):
        raise PermissionDenied("You may not change these contacts.")
    with transaction.atomic():
        audit = current_audit()
        label = relationship.get_kind_display().lower()
        record_event(
            relationship.from_contact, "update", {"relationships": [f"{label} {relationship.to_contact}", ""]}, audit
        )
        record_event(
            relationship.to_contact,
            "update",
            {"relationships": [f"{relationship.inverse_label.lower()} {relationship.from_contact}", ""]},
            audit,
        )
        Relationship.objects.filter(pk=relationship.pk).hard_delete()


# --- roles at companies ---------------------------------------------------------------------------


def contact_role_add(*, actor: Actor, contact: Contact, company: Company | None, role: str) -> ContactRole:
    _require_change(actor, contact)
    _require_view(actor, company, "company")
    if role not in ContactRoleKind.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(ContactRoleKind.values)}."})
    if ContactRole.objects.filter(contact=contact, company=company, role=role).exists():
        raise ValidationError({"role": "This role is already recorded."})
    with transaction.atomic():
        row = ContactRole.objects.create(workspace_id=contact.workspace_id, contact=contact, company=company, role=role)
        record_event(contact, "update", {"roles": ["", f"{row.get_role_display()} at {company}"]}, current_audit())
    return row


def contact_role_remove(*, actor: Actor, role: ContactRole) -> None:
    _require_change(actor, role.contact)
    with transaction.atomic():
        record_event(
            role.contact, "update", {"roles": [f"{role.get_role_display()} at {role.company}", ""]}, current_audit()
        )
        ContactRole.objects.filter(pk=role.pk).hard_delete()


# --- past companies -------------------------------------------------------------------------------


def past_company_add(
    *,
    actor: Actor,
    contact: Contact,
    company: Company | None,
    title: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> ContactCompanyHistory:
    _require_change(actor, contact)
    _require_view(actor, company, "company")
    if start_date and end_date and start_date > end_date:
        raise ValidationError({"end_date": "The end date is before the start date."})
    if len(title or "") > 150:
        raise ValidationError({"title": "At most 150 characters."})
    with transaction.atomic():
        row = ContactCompanyHistory.objects.create(
            workspace_id=contact.workspace_id,
            contact=contact,
            company=company,
            title=title or "",
            start_date=start_date,
            end_date=end_date,
        )
        record_event(contact, "update", {"past companies": ["", str(row)]}, current_audit())
    return row


def past_company_remove(*, actor: Actor, row: ContactCompanyHistory) -> None:
    _require_change(actor, row.contact)
    with transaction.atomic():
        record_event(row.contact, "update", {"past companies": [str(row), ""]}, current_audit())
        ContactCompanyHistory.objects.filter(pk=row.pk).hard_delete()


# --- saved views ----------------------------------------------------------------------------------


def saved_view_save(
    *,
    actor: Actor,
    record_type: str,
    name: str,
    columns: list[str],
    filters: list[str],
    logic: str,
    sort: str,
    is_shared: bool,
) -> SavedView:
    """Create or overwrite the actor's view of that name. Sharing needs write access."""
    from rapport.contacts.columns import spec_for
    from rapport.contacts.listing import FilterError, parse_filters, parse_logic, parse_sort

    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    if len(name) > 80:
        raise ValidationError({"name": "At most 80 characters."})
    if is_shared and not actor.can_write:
        raise PermissionDenied("Read-only members keep their views private.")
    spec = spec_for(record_type, actor)
    try:
        parse_filters(spec, filters)
        parse_logic(logic)
        sort, _keys = parse_sort(spec, sort)
        for key in columns:
            spec.column(key, param="columns")
    except FilterError as exc:
        raise ValidationError({exc.param: f"{exc.field}: {exc.detail}"}) from None
    with transaction.atomic():
        view, _created = SavedView.objects.update_or_create(
            workspace_id=actor.workspace.pk,
            record_type=record_type,
            created_by_id=actor.user.pk,
            name=name,
            defaults={
                "columns": list(columns),
                "filters": list(filters),
                "logic": logic or "and",
                "sort": sort,
                "is_shared": bool(is_shared),
                "updated_at": timezone.now(),
            },
        )
    return view


def saved_view_delete(*, actor: Actor, view: SavedView) -> None:
    from rapport.contacts.selectors import can_change_view

    if not can_change_view(actor, view):
        raise PermissionDenied("Only the person who saved this view, or an admin, may delete it.")
    SavedView.objects.filter(pk=view.pk).hard_delete()
