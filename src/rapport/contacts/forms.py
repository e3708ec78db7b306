"""HTML forms of companies and contacts. They only parse input: the services validate and write.

A service error comes back as ``{"emails.1.email": [...], "custom.size": [...]}``;
:func:`attach_errors` puts each message on the field that caused it, so a rejected save shows
every problem next to what the person typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from rapport.contacts import integration
from rapport.contacts.iso import COUNTRY_CHOICES
from rapport.contacts.models import (
    AddressLabel,
    Company,
    CompanySize,
    ConsentEvent,
    ContactRoleKind,
    EmailConsent,
    EmailLabel,
    Industry,
    LeadSource,
    LeadStatus,
    LifecycleStage,
    PhoneLabel,
    RelationshipKind,
)
from rapport.core.permissions import Actor

BLANK = [("", "—")]


def member_choices(actor: Actor) -> list[tuple[str, str]]:
    users = (
        get_user_model()
        .objects.filter(memberships__workspace=actor.workspace, memberships__is_active=True)
        .order_by("full_name", "email")
    )
    return [("", "Nobody")] + [(str(u.pk), u.display_name) for u in users]


class CompanyRefField(forms.CharField):
    """A company typed by name (or ``#id``), resolved among the companies the actor sees."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Type the company's name (or #id).")
        super().__init__(*args, **kwargs)
        self.actor: Actor | None = None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Company):
            return value.name
        if isinstance(value, int):
            company = Company.objects.filter(pk=value).only("name").first()
            return company.name if company else ""
        return value

    def clean(self, value: Any) -> Company | None:
        from rapport.contacts.selectors import visible_companies

        text = (super().clean(value) or "").strip()
        if not text:
            return None
        queryset = visible_companies(self.actor)
        if text.startswith("#") and text[1:].isdigit():
            found = list(queryset.filter(pk=int(text[1:]))[:1])
        else:
            found = list(queryset.filter(name__iexact=text).order_by("pk")[:2])
        if not found:
            raise ValidationError(f"No company named “{text}”. Create it first, or check the spelling.")
        if len(found) > 1:
            raise ValidationError(f"Several companies are named “{text}”; type #id to pick one (e.g. #{found[0].pk}).")
        return found[0]


class RecordForm(forms.Form):
    """Shared by both record forms: owner, lifecycle, tags, custom fields and the version."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = forms.CharField(required=False, help_text="Comma-separated; new names create tags.", max_length=1000)

    record_type = ""
    ref_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, actor: Actor, definitions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.definitions = definitions
        self.fields["owner"] = forms.ChoiceField(choices=member_choices(actor), required=False)
        for name in self.ref_fields:
            self.fields[name].actor = actor
        if definitions:
            self.fields.update(integration.custom_form_fields(definitions, actor))
        self.order_fields([n for n in self.field_order_hint() if n in self.fields])

    def field_order_hint(self) -> list[str]:
        return list(self.fields)

    def custom_values(self) -> dict[str, Any] | None:
        if not self.definitions:
            return None
        return integration.custom_form_values(self.cleaned_data)

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    def custom_field_names(self) -> list[str]:
        return [d.form_name for d in self.definitions]


class ContactForm(RecordForm):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    job_title = forms.CharField(max_length=150, required=False)
    company = CompanyRefField()
    birthday = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    lifecycle_stage = forms.ChoiceField(choices=BLANK + LifecycleStage.choices, required=False)
    lead_status = forms.ChoiceField(choices=BLANK + LeadStatus.choices, required=False)
    lead_source = forms.ChoiceField(choices=BLANK + LeadSource.choices, required=False)
    do_not_contact = forms.BooleanField(required=False, help_text="Nobody may call, email or write to this person.")

    record_type = integration.CONTACT_TYPE
    ref_fields = ("company",)
    service_fields = (
        "first_name",
        "last_name",
        "job_title",
        "company",
        "birthday",
        "lifecycle_stage",
        "lead_status",
        "lead_source",
        "do_not_contact",
        "owner",
    )

    def field_order_hint(self) -> list[str]:
        return ["version", *self.service_fields, "tags", *self.custom_field_names()]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.service_fields}
        data["owner"] = int(data["owner"]) if data.get("owner") else None
        return data


class CompanyForm(RecordForm):
    name = forms.CharField(max_length=200)
    domains = forms.CharField(
        required=False, max_length=1000, help_text="Comma-separated, primary first: example.com, example.org."
    )
    industry = forms.ChoiceField(choices=BLANK + Industry.choices, required=False)
    size = forms.ChoiceField(choices=BLANK + CompanySize.choices, required=False, label="Employees")
    annual_revenue = forms.DecimalField(max_digits=18, decimal_places=2, required=False, min_value=0)
    revenue_currency = forms.CharField(max_length=3, required=False, help_text="ISO 4217, e.g. USD or EUR.")
    phone = forms.CharField(max_length=40, required=False)
    website = forms.CharField(max_length=300, required=False, help_text="Starting with https:// or http://.")
    parent = CompanyRefField(label="Parent company")
    lifecycle_stage = forms.ChoiceField(choices=BLANK + LifecycleStage.choices, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=10000)

    record_type = integration.COMPANY_TYPE
    ref_fields = ("parent",)
    service_fields = (
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

    def field_order_hint(self) -> list[str]:
        return ["version", "name", "domains", *self.service_fields[1:], "tags", *self.custom_field_names()]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.service_fields}
        data["owner"] = int(data["owner"]) if data.get("owner") else None
        return data

    def domain_list(self) -> list[str]:
        return [d.strip() for d in self.cleaned_data.get("domains", "").split(",") if d.strip()]


class EmailRowForm(forms.Form):
    email = forms.CharField(max_length=254, required=False, widget=forms.EmailInput)
    label = forms.ChoiceField(choices=EmailLabel.choices, initial=EmailLabel.WORK)
    is_primary = forms.BooleanField(required=False, label="Primary")


class PhoneRowForm(forms.Form):
    number = forms.CharField(max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    label = forms.ChoiceField(choices=PhoneLabel.choices, initial=PhoneLabel.WORK)
    is_primary = forms.BooleanField(required=False, label="Primary")


class AddressRowForm(forms.Form):
    label = forms.ChoiceField(choices=AddressLabel.choices, initial=AddressLabel.OFFICE)
    street = forms.CharField(max_length=300, required=False)
    city = forms.CharField(max_length=120, required=False)
    region = forms.CharField(max_length=120, required=False, label="State / region")
    postal_code = forms.CharField(max_length=20, required=False)
    country = forms.ChoiceField(choices=BLANK + COUNTRY_CHOICES, required=False)


EmailFormSet = formset_factory(EmailRowForm, extra=1, max_num=10, absolute_max=20)
PhoneFormSet = formset_factory(PhoneRowForm, extra=1, max_num=10, absolute_max=20)
AddressFormSet = formset_factory(AddressRowForm, extra=1, max_num=5, absolute_max=10)


def filled_rows(formset: forms.BaseFormSet, key: str) -> tuple[list[dict], list[int]]:
    """The rows someone filled in, and each one's form index (to put errors back on it)."""
    rows, indexes = [], []
    for index, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", None) or {}
        if key == "*":
            filled = any(data.get(f) for f in ("street", "city", "region", "postal_code", "country"))
        else:
            filled = bool((data.get(key) or "").strip())
        if filled:
            rows.append(dict(data))
            indexes.append(index)
    return rows, indexes


def attach_errors(
    exc: ValidationError, form: forms.Form, nested: dict[str, tuple[forms.BaseFormSet, list[int]]] | None = None
) -> None:
    """Put a service's field errors on the form, its formsets, or the top of the form."""
    nested = nested or {}
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for name, errors in messages.items():
        parts = name.split(".")
        target_form, field = form, None
        if parts[0] in nested and len(parts) >= 2 and parts[1].isdigit():
            formset, indexes = nested[parts[0]]
            position = int(parts[1])
            if position < len(indexes):
                target_form = formset.forms[indexes[position]]
                field = parts[2] if len(parts) > 2 else None
        elif parts[0] == "custom" and len(parts) == 2:
            field = f"cf_{parts[1]}"
        elif parts[0] == "domains":
            field = "domains"
        elif parts[0] == "tags":
            field = "tags"
        elif name != "__all__":
            field = name
        if field is not None and field not in target_form.fields:
            errors = [f"{field.replace('_', ' ')}: {e}" for e in errors]
            field = None
        for error in errors:
            target_form.add_error(field, error)


class QuickContactForm(forms.Form):
    """The few fields to add a person from a company page."""

    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.CharField(max_length=254, required=False, widget=forms.EmailInput)
    phone = forms.CharField(max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    job_title = forms.CharField(max_length=150, required=False)


class ConsentForm(forms.Form):
    status = forms.ChoiceField(choices=[(EmailConsent.OPTED_IN, "Opted in"), (EmailConsent.OPTED_OUT, "Opted out")])
    source = forms.CharField(max_length=120, help_text="Where they said so: web form, phone call, event...")
    note = forms.CharField(max_length=300, required=False)

    class Meta:
        model = ConsentEvent


class ContactRefField(forms.CharField):
    """A contact typed as an email address, a full name or ``#id``, among the contacts the actor sees."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Their email address, full name or #id.")
        super().__init__(*args, **kwargs)
        self.actor: Actor | None = None

    def clean(self, value: Any) -> Any:
        from django.db.models import Value
        from django.db.models.functions import Concat

        from rapport.contacts.selectors import visible_contacts

        text = (super().clean(value) or "").strip()
        queryset = visible_contacts(self.actor)
        if text.startswith("#") and text[1:].isdigit():
            found = list(queryset.filter(pk=int(text[1:]))[:1])
        elif "@" in text:
            found = list(queryset.filter(primary_email=text.lower())[:2])
        else:
            full = Concat("first_name", Value(" "), "last_name")
            found = list(queryset.annotate(full=full).filter(full__iexact=text)[:2])
        if not found:
            raise ValidationError(f"No contact matches “{text}”.")
        if len(found) > 1:
            raise ValidationError(f"Several contacts match “{text}”; type #id to pick one (e.g. #{found[0].pk}).")
        return found[0]


class RelationshipForm(forms.Form):
    kind = forms.ChoiceField(choices=RelationshipKind.choices, label="This contact")
    other = ContactRefField(label="Other contact")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ContactRoleKind.choices)
    company = CompanyRefField(required=True, help_text="")


class PastCompanyForm(forms.Form):
    company = CompanyRefField(required=True, help_text="")
    title = forms.CharField(max_length=150, required=False)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
