"""Record pages (the 360° view), create / edit / delete, and the small forms on a contact's page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rapport.contacts import forms, integration, related_services, selectors, services
from rapport.contacts.kinds import COMPANY, CONTACT, Kind
from rapport.contacts.models import (
    INVERSE_LABELS,
    Company,
    Contact,
    ContactCompanyHistory,
    ContactRole,
    Relationship,
    RelationshipKind,
)
from rapport.contacts.validation import format_phone
from rapport.core.decorators import workspace_required
from rapport.core.history import describe_changes, history_for
from rapport.core.models import ConflictError
from rapport.core.permissions import can_change, get_visible_or_404
from rapport.core.registry import registry
from rapport.tags.services import current_tags

HISTORY_SHOWN = 50


def _panels(actor: Any, record: Any, label: str) -> list[dict]:
    """Panels other apps registered for this record type, each rendered with its own context."""
    return [{"panel": panel, "context": panel.context(actor, record)} for panel in registry.panels_for(label)]


def _history(record: Any) -> list[dict]:
    return describe_changes(record, list(history_for(record)[:HISTORY_SHOWN]))


def _custom(record_type: str, record: Any) -> tuple[list[Any], list[dict]]:
    defs = integration.definitions(record_type)
    return defs, [{"label": d.label, "value": integration.custom_display(d, record)} for d in defs]


@workspace_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    contact = selectors.contact_detail(actor, pk)
    region = actor.workspace.default_region
    _defs, custom = _custom(integration.CONTACT_TYPE, contact)
    relations = [
        {"label": r.get_kind_display(), "other": r.to_contact, "row": r} for r in contact.relationships_out.all()
    ] + [
        {"label": INVERSE_LABELS[RelationshipKind(r.kind)], "other": r.from_contact, "row": r}
        for r in contact.relationships_in.all()
    ]
    role_form = forms.RoleForm(prefix="role")
    past_form = forms.PastCompanyForm(prefix="past")
    context = {
        "contact": contact,
        "can_change": can_change(actor, contact),
        "phones": [{"row": p, "display": format_phone(p.number, region)} for p in contact.phones.all()],
        "tags": current_tags(contact),
        "custom": custom,
        "relations": relations,
        "company": next(iter(selectors.visible_related(actor, [contact.company])), None),
        "roles": [r for r in contact.roles.all() if selectors.visible_related(actor, [r.company])],
        "past_companies": [p for p in contact.past_companies.all() if selectors.visible_related(actor, [p.company])],
        "consent_events": list(contact.consent_events.all())[:20],
        "panels": _panels(actor, contact, "contacts.contact"),
        "history": _history(contact),
        "consent_form": forms.ConsentForm(prefix="consent"),
        "relationship_form": forms.RelationshipForm(prefix="rel"),
        "role_form": role_form,
        "past_form": past_form,
    }
    return render(request, "contacts/contact_detail.html", context)


@workspace_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    company = selectors.company_detail(actor, pk)
    contacts, more_contacts = selectors.company_contacts(actor, company)
    _defs, custom = _custom(integration.COMPANY_TYPE, company)
    context = {
        "company": company,
        "can_change": can_change(actor, company),
        "phone": format_phone(company.phone, actor.workspace.default_region),
        "tags": current_tags(company),
        "custom": custom,
        "contacts": contacts,
        "more_contacts": more_contacts,
        "contacts_url": f"{reverse('contacts:contact_list')}?filter=company:eq:{company.pk}",
        "parent": next(iter(selectors.visible_related(actor, [company.parent])), None),
        "subsidiaries": selectors.visible_related(actor, company.subsidiaries.all()),
        "roles": [r for r in company.contact_roles.all() if selectors.visible_related(actor, [r.contact])],
        "panels": _panels(actor, company, "contacts.company"),
        "history": _history(company),
        "quick_form": forms.QuickContactForm(),
        "can_create": actor.can("records.create"),
    }
    return render(request, "contacts/company_detail.html", context)


# --- create and edit ------------------------------------------------------------------------------


def _formsets(kind: Kind, data: Any, record: Any | None) -> dict[str, Any]:
    if kind is CONTACT:
        emails = (
            [{"email": e.email, "label": e.label, "is_primary": e.is_primary} for e in record.emails.all()]
            if record
            else []
        )
        phones = (
            [{"number": p.number, "label": p.label, "is_primary": p.is_primary} for p in record.phones.all()]
            if record
            else []
        )
        addresses = (
            [
                {f: getattr(a, f) for f in ("label", "street", "city", "region", "postal_code", "country")}
                for a in record.addresses.all()
            ]
            if record
            else []
        )
        return {
            "emails": forms.EmailFormSet(data, initial=emails, prefix="emails"),
            "phones": forms.PhoneFormSet(data, initial=phones, prefix="phones"),
            "addresses": forms.AddressFormSet(data, initial=addresses, prefix="addresses"),
        }
    addresses = (
        [
            {f: getattr(a, f) for f in ("label", "street", "city", "region", "postal_code", "country")}
            for a in record.addresses.all()
        ]
        if record
        else []
    )
    return {"addresses": forms.AddressFormSet(data, initial=addresses, prefix="addresses")}


def _initial(kind: Kind, record: Any | None, defs: list[Any]) -> dict[str, Any]:
    if record is None:
        return {}
    initial = {name: getattr(record, name) for name in kind.form_class.service_fields if name != "owner"}
    initial["owner"] = str(record.owner_id or "")
    initial["version"] = record.version
    initial["tags"] = ", ".join(t.name for t in current_tags(record))
    if kind is COMPANY:
        initial["domains"] = ", ".join(d.domain for d in record.domains.all())
    if defs:
        initial.update(integration.custom_initial(defs, record))
    return initial


def _save(kind: Kind, actor: Any, record: Any | None, form: Any, formsets: dict[str, Any]) -> Any:
    """Call the service with everything the form holds; raise ValidationError / ConflictError."""
    nested: dict[str, tuple[Any, list[int]]] = {}
    kwargs: dict[str, Any] = {"data": form.service_data(), "tags": form.tag_names(), "custom": form.custom_values()}
    for name, formset in formsets.items():
        rows, indexes = forms.filled_rows(formset, {"emails": "email", "phones": "number"}.get(name, "*"))
        nested[name] = (formset, indexes)
        kwargs[name] = rows
    if kind is COMPANY:
        kwargs["domains"] = form.domain_list()
    try:
        if record is None:
            create = services.contact_create if kind is CONTACT else services.company_create
            return create(actor=actor, **kwargs)
        kind.update(actor, record, expected_version=form.cleaned_data.get("version"), **kwargs)
        return record
    except ValidationError as exc:
        forms.attach_errors(exc, form, nested)
        raise


def _edit(request: HttpRequest, kind: Kind, record: Any | None) -> HttpResponse:
    actor = request.actor
    if record is None and not actor.can("records.create"):
        raise PermissionDenied(f"Your role may not create {kind.label_plural}.")
    defs = integration.definitions(integration.CONTACT_TYPE if kind is CONTACT else integration.COMPANY_TYPE)
    data = request.POST if request.method == "POST" else None
    initial = _initial(kind, record, defs)
    if record is None and request.GET.get("company") and kind is CONTACT:
        initial["company"] = f"#{request.GET['company']}" if request.GET["company"].isdigit() else ""
    form = kind.form_class(data, initial=initial, actor=actor, definitions=defs)
    formsets = _formsets(kind, data, record)
    conflict = None
    status = 200
    if request.method == "POST":
        if form.is_valid() and all(f.is_valid() for f in formsets.values()):
            try:
                saved = _save(kind, actor, record, form, formsets)
            except ValidationError:
                status = 400
            except ConflictError:
                conflict = (
                    f"Someone else saved this {kind.label} after you opened it, so your changes were not saved. "
                    "What you typed is still below: open the record in a new tab to see their version, "
                    "then save again to overwrite it with yours."
                )
                form = kind.form_class(
                    _with_version(request.POST, record.__class__._base_manager.get(pk=record.pk).version),
                    initial=initial,
                    actor=actor,
                    definitions=defs,
                )
                form.is_valid()
                status = 409
            else:
                messages.success(request, f"{kind.label.capitalize()} “{saved}” saved.")
                return redirect(kind.url("detail"), pk=saved.pk)
        else:
            status = 400
    context = {
        "kind": kind,
        "record": record,
        "form": form,
        "formsets": formsets,
        "conflict": conflict,
        "companies": selectors.company_choices(actor),
    }
    return render(request, "contacts/record_form.html", context, status=status)


def _with_version(post: Any, version: int) -> Any:
    """The typed data with the current version, so saving again is a deliberate overwrite."""
    data = post.copy()
    data["version"] = str(version)
    return data


@workspace_required
def contact_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, CONTACT, None)


@workspace_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_visible_or_404(Contact, request.actor, pk, for_change=True)
    return _edit(request, CONTACT, contact)


@workspace_required
def company_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, COMPANY, None)


@workspace_required
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_visible_or_404(Company, request.actor, pk, for_change=True)
    return _edit(request, COMPANY, company)


@workspace_required
@require_POST
def record_delete(request: HttpRequest, record_type: str, pk: int) -> HttpResponse:
    kind = {"contact": CONTACT, "company": COMPANY}.get(record_type)
    if kind is None:
        raise Http404("No such record type.")
    record = get_visible_or_404(kind.model, request.actor, pk, for_change=True)
    delete = services.contact_delete if kind is CONTACT else services.company_delete
    version = request.POST.get("version")
    try:
        delete(
            actor=request.actor,
            **{kind.record_arg: record},
            expected_version=int(version) if version and version.isdigit() else None,
        )
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect(kind.url("detail"), pk=pk)
    messages.success(
        request, f"{kind.label.capitalize()} “{record}” moved to the recycle bin; an admin can restore it."
    )
    return redirect(kind.url("list"))


@workspace_required
@require_POST
def company_quick_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a person to a company from its page, in one short form."""
    actor = request.actor
    company = get_visible_or_404(Company, actor, pk)
    form = forms.QuickContactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            contact = services.contact_create(
                actor=actor,
                data={
                    "first_name": data["first_name"],
                    "last_name": data["last_name"],
                    "job_title": data["job_title"],
                    "company": company,
                },
                emails=[data["email"]] if data["email"] else [],
                phones=[data["phone"]] if data["phone"] else [],
            )
        except ValidationError as exc:
            messages.error(
                request,
                "Contact not added: "
                + " ".join(f"{k.split('.')[0].replace('_', ' ')}: {' '.join(v)}" for k, v in exc.message_dict.items()),
            )
        else:
            messages.success(request, f"Added {contact} to {company}.")
    return redirect("contacts:company_detail", pk=pk)


# --- the small forms of a contact's page ----------------------------------------------------------


def _contact_action(request: HttpRequest, pk: int, action) -> HttpResponse:
    actor = request.actor
    contact = get_visible_or_404(Contact, actor, pk, for_change=True)
    try:
        message = action(actor, contact)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("contacts:contact_detail", pk=pk)


def _bound(form_class: type, request: HttpRequest, prefix: str, actor: Any) -> Any:
    form = form_class(request.POST, prefix=prefix)
    for field in form.fields.values():
        if hasattr(field, "actor"):
            field.actor = actor
    if not form.is_valid():
        raise ValidationError([f"{name.replace('_', ' ')}: {' '.join(errs)}" for name, errs in form.errors.items()])
    return form.cleaned_data


@workspace_required
@require_POST
def contact_consent(request: HttpRequest, pk: int) -> HttpResponse:
    def action(actor, contact):
        data = _bound(forms.ConsentForm, request, "consent", actor)
        related_services.contact_record_consent(actor=actor, contact=contact, **data)
        return "Consent recorded."

    return _contact_action(request, pk, action)


@workspace_required
@require_POST
def relationship_add(request: HttpRequest, pk: int) -> HttpResponse:
    def action(actor, contact):
        data = _bound(forms.RelationshipForm, request, "rel", actor)
        related_services.relationship_add(
            actor=actor, from_contact=contact, to_contact=data["other"], kind=data["kind"]
        )
        return "Relationship added."

    return _contact_action(request, pk, action)


@workspace_required
@require_POST
def relationship_remove(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    def action(actor, contact):
        row = (
            Relationship.objects.filter(pk=rid).filter(from_contact=contact).first()
            or Relationship.objects.filter(pk=rid, to_contact=contact).first()
        )
        if row is None:
            raise Http404("No such relationship.")
        related_services.relationship_remove(actor=actor, relationship=row)
        return "Relationship removed."

    return _contact_action(request, pk, action)


@workspace_required
@require_POST
def role_add(request: HttpRequest, pk: int) -> HttpResponse:
    def action(actor, contact):
        data = _bound(forms.RoleForm, request, "role", actor)
        related_services.contact_role_add(actor=actor, contact=contact, company=data["company"], role=data["role"])
        return "Role added."

    return _contact_action(request, pk, action)


@workspace_required
@require_POST
def role_remove(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    def action(actor, contact):
        row = ContactRole.objects.filter(pk=rid, contact=contact).select_related("company", "contact").first()
        if row is None:
            raise Http404("No such role.")
        related_services.contact_role_remove(actor=actor, role=row)
        return "Role removed."

    return _contact_action(request, pk, action)


@workspace_required
@require_POST
def past_company_add(request: HttpRequest, pk: int) -> HttpResponse:
    def action(actor, contact):
        data = _bound(forms.PastCompanyForm, request, "past", actor)
        related_services.past_company_add(actor=actor, contact=contact, **data)
        return "Past company added."

    return _contact_action(request, pk, action)


@workspace_required
@require_POST
def past_company_remove(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    def action(actor, contact):
        row = ContactCompanyHistory.objects.filter(pk=rid, contact=contact).select_related("company", "contact").first()
        if row is None:
            raise Http404("No such past company.")
        related_services.past_company_remove(actor=actor, row=row)
        return "Past company removed."

    return _contact_action(request, pk, action)
