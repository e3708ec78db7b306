"""The fields contact and company lists can show, sort and filter by (custom fields included)."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from rapport.contacts import integration
from rapport.contacts.listing import (
    Column,
    FilterError,
    ListSpec,
    SortKey,
    as_bool,
    as_date,
    as_datetime,
    as_number,
    choice_q,
    compare_q,
    empty_q,
    split_list,
    text_q,
    user_q,
)
from rapport.contacts.models import (
    Company,
    CompanyDomain,
    CompanySize,
    Contact,
    EmailAddress,
    EmailConsent,
    Industry,
    LeadSource,
    LeadStatus,
    LifecycleStage,
    PhoneNumber,
)
from rapport.contacts.validation import format_phone
from rapport.tags.models import Tag, TaggedItem
from rapport.tags.services import current_tags, tagged_q

CUSTOM_KIND = {
    "text": "text",
    "long_text": "text",
    "url": "text",
    "email": "text",
    "phone": "text",
    "number": "number",
    "money": "number",
    "date": "date",
    "datetime": "datetime",
    "checkbox": "bool",
    "select": "choice",
    "multi_select": "choice",
    "user": "user",
}


def _text(path: str):
    return lambda op, value, actor: text_q(path, op, value)


def _choice(path: str, choices):
    return lambda op, value, actor: choice_q(path, op, value, list(choices))


def _typed(path: str, parse):
    def q(op: str, value: str, actor: Any) -> models.Q:
        if op in ("is_empty", "is_not_empty"):
            return empty_q(path, op)
        return compare_q(path, op, parse(value))

    return q


def _datetime(path: str):
    def q(op: str, value: str, actor: Any) -> models.Q:
        if op in ("is_empty", "is_not_empty"):
            return empty_q(path, op)
        moment = as_datetime(value)
        if op == "on":
            return models.Q(**{f"{path}__date": moment.date()})
        return compare_q(path, op, moment)

    return q


def _bool(path: str):
    return lambda op, value, actor: models.Q(**{path: as_bool(value)})


def _user(path: str):
    return lambda op, value, actor: user_q(path, op, value, actor)


def _record(path: str, name_path: str):
    def q(op: str, value: str, actor: Any) -> models.Q:
        if op in ("is_empty", "is_not_empty"):
            return empty_q(path, op)
        if op == "contains":
            return models.Q(**{f"{name_path}__icontains": value})
        ids = split_list(value) if op == "in" else [value.strip()]
        if not all(i.isdigit() for i in ids):
            raise ValueError("Give the record's id (a number), or use contains:<name>.")
        if op == "eq":
            return models.Q(**{path: int(ids[0])})
        if op == "ne":
            return ~models.Q(**{path: int(ids[0])}) | models.Q(**{f"{path}__isnull": True})
        return models.Q(**{f"{path}__in": [int(i) for i in ids]})

    return q


def _tags(model: type[models.Model]):
    def q(op: str, value: str, actor: Any) -> models.Q:
        content_type = ContentType.objects.get_for_model(model)
        if op in ("is_empty", "is_not_empty"):
            items = TaggedItem.objects.filter(
                content_type=content_type, object_id=models.OuterRef("pk"), tag__deleted_at__isnull=True
            )
            any_tag = models.Q(models.Exists(items))
            return ~any_tag if op == "is_empty" else any_tag
        names = split_list(value) if op in ("has_any", "has_all") else [value.strip()]
        tags = {
            t.name.lower(): t.pk
            for t in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=[n.lower() for n in names])
        }
        ids = [int(n) if n.isdigit() else tags.get(n.lower()) for n in names]
        if None in ids:
            missing = names[ids.index(None)]
            raise ValueError(f"There is no tag named “{missing}”.")
        mode = {"has": "any", "has_any": "any", "has_all": "all", "has_not": "none"}[op]
        return tagged_q(content_type, ids, mode=mode)

    return q


def _child(model: type[models.Model], fk: str, path: str, normalise=None):
    """Filters on a contact's / company's nested rows (any of its emails, phones, domains)."""

    def q(op: str, value: str, actor: Any) -> models.Q:
        rows = model.objects.filter(**{fk: models.OuterRef("pk")})
        if op in ("is_empty", "is_not_empty"):
            exists = models.Q(models.Exists(rows))
            return ~exists if op == "is_empty" else exists
        needle = normalise(value) if normalise else value.strip().lower()
        lookup = {"eq": "exact", "contains": "contains", "endswith": "endswith"}[op]
        return models.Q(models.Exists(rows.filter(**{f"{path}__{lookup}": needle})))

    return q


def _digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        raise ValueError("Give the digits of the phone number.")
    return digits


def _label(choices, attr: str) -> Any:
    mapping = dict(choices)
    return lambda record: mapping.get(getattr(record, attr), getattr(record, attr) or "")


def _dt(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _user_name(user: Any) -> str:
    return user.display_name if user else ""


def _custom_columns(defs: list[Any]) -> dict[str, Column]:
    columns = {}
    for definition in defs:
        key = f"custom.{definition.key}"
        kind = CUSTOM_KIND.get(definition.field_type, "text")

        def q(op: str, value: str, actor: Any, definition=definition) -> models.Q:
            if definition.field_type == "user" and value.strip() == "me":
                value = str(actor.user.pk)
            return integration.custom_filter_q(definition, op, value)

        columns[key] = Column(
            key=key,
            label=definition.label,
            kind=kind,
            sort=(
                SortKey(
                    f"_cf_{definition.key}", nullable=True, expression=integration.custom_order_expression(definition)
                ),
            ),
            q=q,
            choices=[(c["value"], c["label"]) for c in definition.choices],
            display=lambda row, definition=definition: integration.custom_display(definition, row),
            inline=key,
            definition=definition,
            operators=integration.custom_operators(definition),
        )
    return columns


def _common(model: type[models.Model], region: str) -> dict[str, Column]:
    return {
        "owner": Column(
            "owner",
            "Owner",
            "user",
            sort=(SortKey("_owner_name", nullable=True, expression=models.F("owner__full_name")),),
            q=_user("owner_id"),
            display=lambda r: _user_name(r.owner),
            inline="owner",
        ),
        "lifecycle_stage": Column(
            "lifecycle_stage",
            "Lifecycle stage",
            "choice",
            sort=(SortKey("lifecycle_stage"),),
            q=_choice("lifecycle_stage", LifecycleStage.choices),
            choices=LifecycleStage.choices,
            display=_label(LifecycleStage.choices, "lifecycle_stage"),
            inline="lifecycle_stage",
        ),
        "tags": Column("tags", "Tags", "tags", q=_tags(model), display=current_tags),
        "created_at": Column(
            "created_at",
            "Created",
            "datetime",
            sort=(SortKey("created_at"),),
            q=_datetime("created_at"),
            display=lambda r: _dt(r.created_at),
        ),
        "updated_at": Column(
            "updated_at",
            "Updated",
            "datetime",
            sort=(SortKey("updated_at"),),
            q=_datetime("updated_at"),
            display=lambda r: _dt(r.updated_at),
        ),
    }


def _company_link(company: Any) -> tuple[str, str] | None:
    if company is None or company.deleted_at is not None:
        return None
    return (company.name, _company_url().replace("/0/", f"/{company.pk}/", 1))


@functools.cache
def _company_url() -> str:
    return reverse("contacts:company_detail", args=[0])


def contact_spec(defs: list[Any], region: str) -> ListSpec:
    common = _common(Contact, region)
    columns = {
        "name": Column(
            "name",
            "Name",
            "text",
            sort=(SortKey("last_name"), SortKey("first_name")),
            q=lambda op, v, a: (
                _text("first_name")(op, v, a) | _text("last_name")(op, v, a)
                if op not in ("ne", "not_contains", "is_empty", "is_not_empty")
                else _text("first_name")(op, v, a) & _text("last_name")(op, v, a)
            ),
            display=lambda r: r.full_name,
        ),
        "first_name": Column(
            "first_name",
            "First name",
            "text",
            sort=(SortKey("first_name"),),
            q=_text("first_name"),
            display=lambda r: r.first_name,
            inline="first_name",
        ),
        "last_name": Column(
            "last_name",
            "Last name",
            "text",
            sort=(SortKey("last_name"),),
            q=_text("last_name"),
            display=lambda r: r.last_name,
            inline="last_name",
        ),
        "email": Column(
            "email",
            "Email",
            "email",
            sort=(SortKey("primary_email"),),
            q=_child(EmailAddress, "contact", "email"),
            display=lambda r: r.primary_email,
        ),
        "phone": Column(
            "phone",
            "Phone",
            "phone",
            sort=(SortKey("primary_phone"),),
            q=_child(PhoneNumber, "contact", "digits", _digits),
            display=lambda r: format_phone(r.primary_phone, region),
        ),
        "company": Column(
            "company",
            "Company",
            "record",
            sort=(SortKey("_company_name", nullable=True, expression=models.F("company__name")),),
            q=_record("company_id", "company__name"),
            display=lambda r: _company_link(r.company),
        ),
        "job_title": Column(
            "job_title",
            "Job title",
            "text",
            sort=(SortKey("job_title"),),
            q=_text("job_title"),
            display=lambda r: r.job_title,
            inline="job_title",
        ),
        "owner": common["owner"],
        "lifecycle_stage": common["lifecycle_stage"],
        "lead_status": Column(
            "lead_status",
            "Lead status",
            "choice",
            sort=(SortKey("lead_status"),),
            q=_choice("lead_status", LeadStatus.choices),
            choices=LeadStatus.choices,
            display=_label(LeadStatus.choices, "lead_status"),
            inline="lead_status",
        ),
        "lead_source": Column(
            "lead_source",
            "Lead source",
            "choice",
            sort=(SortKey("lead_source"),),
            q=_choice("lead_source", LeadSource.choices),
            choices=LeadSource.choices,
            display=_label(LeadSource.choices, "lead_source"),
            inline="lead_source",
        ),
        "birthday": Column(
            "birthday",
            "Birthday",
            "date",
            sort=(SortKey("birthday", nullable=True),),
            q=_typed("birthday", as_date),
            display=lambda r: r.birthday.isoformat() if r.birthday else "",
            inline="birthday",
        ),
        "email_consent": Column(
            "email_consent",
            "Email consent",
            "choice",
            sort=(SortKey("email_consent"),),
            q=_choice("email_consent", EmailConsent.choices),
            choices=EmailConsent.choices,
            display=_label(EmailConsent.choices, "email_consent"),
        ),
        "do_not_contact": Column(
            "do_not_contact",
            "Do not contact",
            "bool",
            sort=(SortKey("do_not_contact"),),
            q=_bool("do_not_contact"),
            display=lambda r: "Yes" if r.do_not_contact else "",
        ),
        "tags": common["tags"],
        "created_at": common["created_at"],
        "updated_at": common["updated_at"],
        **_custom_columns(defs),
    }
    defaults = ["name", "email", "company", "owner", "lifecycle_stage", "tags", "created_at"]
    defaults += [k for k, c in columns.items() if c.definition is not None and c.definition.show_in_lists]
    return ListSpec("contact", columns, defaults, "-created_at")


def company_spec(defs: list[Any], region: str) -> ListSpec:
    common = _common(Company, region)
    columns = {
        "name": Column(
            "name", "Name", "text", sort=(SortKey("name"),), q=_text("name"), display=lambda r: r.name, inline="name"
        ),
        "domain": Column(
            "domain",
            "Domain",
            "email",
            sort=(SortKey("primary_domain"),),
            q=_child(CompanyDomain, "company", "domain"),
            display=lambda r: r.primary_domain,
        ),
        "industry": Column(
            "industry",
            "Industry",
            "choice",
            sort=(SortKey("industry"),),
            q=_choice("industry", Industry.choices),
            choices=Industry.choices,
            display=_label(Industry.choices, "industry"),
            inline="industry",
        ),
        "size": Column(
            "size",
            "Employees",
            "choice",
            sort=(SortKey("size"),),
            q=_choice("size", CompanySize.choices),
            choices=CompanySize.choices,
            display=_label(CompanySize.choices, "size"),
            inline="size",
        ),
        "annual_revenue": Column(
            "annual_revenue",
            "Annual revenue",
            "number",
            sort=(SortKey("annual_revenue", nullable=True),),
            q=_typed("annual_revenue", as_number),
            display=lambda r: f"{r.annual_revenue:,.0f} {r.revenue_currency}" if r.annual_revenue is not None else "",
        ),
        "phone": Column(
            "phone",
            "Phone",
            "phone",
            sort=(SortKey("phone"),),
            q=lambda op, v, a: (
                empty_q("phone", op, blank="")
                if op in ("is_empty", "is_not_empty")
                else models.Q(**{f"phone__{'contains' if op == 'contains' else 'endswith'}": _digits(v)})
            ),
            display=lambda r: format_phone(r.phone, region),
        ),
        "website": Column(
            "website",
            "Website",
            "text",
            sort=(SortKey("website"),),
            q=_text("website"),
            display=lambda r: r.website,
            inline="website",
        ),
        "parent": Column(
            "parent",
            "Parent company",
            "record",
            sort=(SortKey("_parent_name", nullable=True, expression=models.F("parent__name")),),
            q=_record("parent_id", "parent__name"),
            display=lambda r: _company_link(r.parent),
        ),
        "owner": common["owner"],
        "lifecycle_stage": common["lifecycle_stage"],
        "tags": common["tags"],
        "created_at": common["created_at"],
        "updated_at": common["updated_at"],
        **_custom_columns(defs),
    }
    defaults = ["name", "domain", "industry", "owner", "lifecycle_stage", "tags", "created_at"]
    defaults += [k for k, c in columns.items() if c.definition is not None and c.definition.show_in_lists]
    return ListSpec("company", columns, defaults, "-created_at")


_EXTRA_SPECS: dict[str, Any] = {}


def register_spec(record_type: str, build: Any) -> None:
    """A higher app's list spec: ``build(actor) -> ListSpec`` (see rapport.contacts.kinds)."""
    _EXTRA_SPECS[record_type] = build


# Column builders other apps' specs reuse, so every list filters and sorts the same way.
text_filter = _text
choice_filter = _choice
typed_filter = _typed
datetime_filter = _datetime
user_filter = _user
record_filter = _record
tags_filter = _tags
custom_columns = _custom_columns
common_columns = _common
choice_label = _label


def spec_for(record_type: str, actor: Any) -> ListSpec:
    if record_type in _EXTRA_SPECS:
        return _EXTRA_SPECS[record_type](actor)
    region = actor.workspace.default_region
    if record_type == "contact":
        return contact_spec(integration.definitions(integration.CONTACT_TYPE), region)
    if record_type == "company":
        return company_spec(integration.definitions(integration.COMPANY_TYPE), region)
    raise FilterError("record_type", record_type, "Unknown record type.")
