"""Turn one mapped row into a write through the owning app's service (contacts, companies).

Every record goes through the same services as the forms and the API (validation, History,
search index, custom values, tags), so an import obeys every rule a person typing would.
Errors are collected per column as ``RowError`` and the row is rolled back on its own savepoint.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, CompanyDomain, Contact, EmailAddress, PhoneNumber
from rapport.contacts.validation import normalise_domain, normalise_email, normalise_phone, phone_digits
from rapport.core.models import Membership
from rapport.core.permissions import Actor, visible
from rapport.imports.models import ExternalId

MAX_CELL = 10_000
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d", "%d-%m-%Y", "%b %d, %Y")
EMPTY_DATES = {"0/0/00", "0.0.00", "00.00.0000", "0000-00-00", "1/1/1601"}
COUNTRY_ALIASES = {
    "usa": "US",
    "united states of america": "US",
    "u.s.a.": "US",
    "uk": "GB",
    "england": "GB",
    "deutschland": "DE",
    "schweiz": "CH",
    "österreich": "AT",
    "perú": "PE",
    "españa": "ES",
}


@dataclass
class RowError:
    """A problem with one cell or row. ``level`` "error": the row was not imported; "warning": the row
    was imported without the value named here (never silently: every warning is in the report)."""

    row: int
    column: str
    reason: str
    level: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason, "level": self.level}


class RowInvalid(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors


@dataclass
class Context:
    """Per-run caches (companies by name/domain, owners by e-mail) and what was created on the side."""

    actor: Actor
    target: str
    dedupe_key: str
    policy: str
    tags: list[str]
    companies_by_name: dict[str, Company | None] = field(default_factory=dict)
    # the batched path: companies it created by domain, and e-mails of the contacts it created (→ the
    # first row of the chunk that created them), so that chunks planned before the previous one is
    # committed still find them
    companies_by_domain: dict[str, Company] = field(default_factory=dict)
    created_emails: dict[str, int] = field(default_factory=dict)
    definitions: dict[str, list[Any]] = field(default_factory=dict)  # custom fields, per chunk
    owners: dict[str, int | None] = field(default_factory=dict)
    side_created: list[Any] = field(default_factory=list)
    side_updated: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)  # (record, before) per row
    warnings: list[RowError] = field(default_factory=list)

    def warn(self, row: int, column: str, value: str, reason: str) -> None:
        self.warnings.append(RowError(row, column, f"{reason} The value {value[:80]!r} was not imported.", "warning"))


def custom_field_choices(target: str) -> list[tuple[str, str]]:
    from rapport.contacts import integration

    record_type = {"contacts": integration.CONTACT_TYPE, "companies": integration.COMPANY_TYPE}.get(target)
    if record_type is None:
        return []
    return [(f"custom:{d.key}", f"{d.label} (custom field)") for d in integration.definitions(record_type)]


def _values(mapping: dict[str, str], headers: list[str], cells: list[str]) -> dict[str, list[tuple[str, str]]]:
    """{field key: [(header, cell text), …]} for the non-empty mapped cells of a row."""
    out: dict[str, list[tuple[str, str]]] = {}
    for index, header in enumerate(headers):
        key = mapping.get(header) or ""
        if not key:
            continue
        text = cells[index].strip() if index < len(cells) else ""
        if text:
            out.setdefault(key, []).append((header, text))
    return out


def check_cells(row: int, headers: list[str], cells: list[str], mapping: dict[str, str]) -> list[RowError]:
    errors: list[RowError] = []
    extra = [c for c in cells[len(headers) :] if c.strip()]
    if extra:
        errors.append(
            RowError(
                row,
                "",
                f"The row has {len(headers) + len(extra)} cells but the header only {len(headers)}; "
                f"the extra values ({', '.join(repr(c[:30]) for c in extra[:3])}) have no column.",
            )
        )
    for index, header in enumerate(headers):
        text = cells[index] if index < len(cells) else ""
        if len(text) > MAX_CELL:
            errors.append(
                RowError(row, header, f"The cell has {len(text):,} characters; at most {MAX_CELL:,} are allowed.")
            )
        elif mapping.get(header) and text.startswith("=") and len(text) > 1:
            errors.append(
                RowError(row, header, "The cell holds a spreadsheet formula; import its value, not the formula.")
            )
    return errors


def parse_date(text: str) -> dt.date:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD (for example 1990-04-23).") from None


def parse_decimal(text: str) -> Decimal:
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if cleaned.count(",") and cleaned.count("."):
        cleaned = (
            cleaned.replace(",", "")
            if cleaned.rfind(".") > cleaned.rfind(",")
            else cleaned.replace(".", "").replace(",", ".")
        )
    elif cleaned.count(",") == 1 and len(cleaned.split(",")[1]) != 3:
        cleaned = cleaned.replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number.") from None


def _owner(ctx: Context, email: str) -> int | None:
    key = email.strip().lower()
    if key not in ctx.owners:
        user = get_user_model().objects.filter(email__iexact=key).first()
        member = user and Membership.objects.filter(user=user, workspace=ctx.actor.workspace).exists()
        ctx.owners[key] = user.pk if member else None
    return ctx.owners[key]


def _owner_or_warn(ctx: Context, row: int, column: str, email: str) -> int | None:
    """The member an owner e-mail names; when nobody matches, a warning and the importer owns the record."""
    owner = _owner(ctx, email)
    if owner is None:
        ctx.warn(row, column, email, "No member of this workspace has this e-mail; you own the record.")
    return owner


def _choice(model: type, field_name: str, text: str) -> str:
    choices = model._meta.get_field(field_name).choices
    norm = re.sub(r"[^a-z0-9]", "", text.lower())
    for value, label in choices:
        if norm in (re.sub(r"[^a-z0-9]", "", str(value).lower()), re.sub(r"[^a-z0-9]", "", str(label).lower())):
            return value
    raise ValueError(f"{text!r} is not one of: {', '.join(str(label) for _, label in choices)}.")


_ADDRESS_KEYS = ("street", "city", "region", "postal_code", "country")


def _address(values: dict[str, list[tuple[str, str]]]) -> list[dict] | None:
    if values.keys().isdisjoint(_ADDRESS_KEYS):
        return None
    parts = {k: ", ".join(t for _, t in values.get(k, [])) for k in _ADDRESS_KEYS}
    if not any(parts.values()):
        return None
    return [{"label": "office", **parts}]


def _fix_country(ctx: Context, row: int, values: dict, addresses: list[dict] | None) -> None:
    """Country names and common aliases become ISO codes; anything else is reported and left out."""
    from rapport.contacts.iso import COUNTRIES

    if not addresses or not addresses[0].get("country"):
        return
    country = addresses[0]["country"].strip()
    lowered = country.lower()
    if country.upper() in COUNTRIES:
        addresses[0]["country"] = country.upper()
        return
    if lowered in COUNTRY_ALIASES:
        addresses[0]["country"] = COUNTRY_ALIASES[lowered]
        return
    for code, name in COUNTRIES.items():
        if str(name).lower() in (lowered, lowered.removeprefix("the ")):
            addresses[0]["country"] = code
            return
    addresses[0]["country"] = ""
    ctx.warn(row, values["country"][0][0], country, "Not a country name or two-letter ISO code.")


# --- contacts -----------------------------------------------------------------------------------


def _find_company(ctx: Context, name: str, domain: str) -> Company | None:
    actor = ctx.actor
    if domain:
        try:
            domain = normalise_domain(domain)
        except ValidationError:
            domain = ""
        if domain:
            hit = CompanyDomain.objects.filter(domain=domain, is_live=True).values_list("company_id", flat=True).first()
            if hit:
                return visible(Company.objects.all(), actor).filter(pk=hit).first()
    if not name:
        return None
    key = name.strip().lower()
    if key not in ctx.companies_by_name:
        found = visible(Company.objects.all(), actor).filter(name__iexact=name.strip()).order_by("id").first()
        if found is None:
            found = contact_services.company_create(
                actor=actor, data={"name": name.strip()[:200]}, domains=[domain] if domain else None
            )
            ctx.side_created.append(found)
        ctx.companies_by_name[key] = found
    return ctx.companies_by_name[key]


def contact_plan(ctx: Context, row: int, values: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    errors: list[RowError] = []
    data: dict[str, Any] = {}
    first = lambda key: values[key][0][1] if key in values else ""  # noqa: E731
    data["first_name"] = first("first_name")
    data["last_name"] = first("last_name")
    if "full_name" in values and not (data["first_name"] or data["last_name"]):
        given, _, family = first("full_name").rpartition(" ")
        data["first_name"], data["last_name"] = (given, family) if given else (family, "")
    for name in ("first_name", "last_name"):
        if len(data[name]) > 100:
            errors.append(RowError(row, name, f"At most 100 characters ({len(data[name])} given)."))
    if first("job_title"):
        data["job_title"] = first("job_title")[:150]
    emails: list[dict] = []
    for header, text in values.get("email", []):
        for part in re.split(r"[;,\s]+", text):
            if not part:
                continue
            try:
                email = normalise_email(part)
            except ValidationError:
                ctx.warn(row, header, part, "Not a valid e-mail address.")
                continue
            if email not in [e["email"] for e in emails]:
                emails.append({"email": email, "label": "work"})
    phones: list[dict] = []
    region = ctx.actor.workspace.default_region
    for header, text in values.get("phone", []):
        try:
            number = normalise_phone(text, region)
        except ValidationError:
            ctx.warn(row, header, text, "Not a phone number (add the country code, e.g. +49…).")
            continue
        if number not in [p["number"] for p in phones]:
            phones.append({"number": number, "label": "work"})
    for key, model_field in (
        ("lead_source", "lead_source"),
        ("lifecycle_stage", "lifecycle_stage"),
        ("lead_status", "lead_status"),
    ):
        if key in values:
            try:
                data[model_field] = _choice(Contact, model_field, first(key))
            except ValueError as exc:
                ctx.warn(row, values[key][0][0], first(key), str(exc))
    if "birthday" in values and first("birthday") not in EMPTY_DATES:
        try:
            data["birthday"] = parse_date(first("birthday"))
        except ValueError as exc:
            ctx.warn(row, values["birthday"][0][0], first("birthday"), str(exc))
    if "owner_email" in values:
        owner = _owner_or_warn(ctx, row, values["owner_email"][0][0], first("owner_email"))
        if owner is not None:
            data["owner"] = owner
    if not (data["first_name"] or data["last_name"]):
        errors.append(
            RowError(row, "", "The row has no first, last or full name; a contact needs a name (map a name column).")
        )
    if errors:
        raise RowInvalid(errors)
    addresses = _address(values)
    _fix_country(ctx, row, values, addresses)
    return {
        "data": data,
        "emails": emails or None,
        "phones": phones or None,
        "addresses": addresses,
        "company": (first("company"), first("company_domain")),
        "custom": {k.removeprefix("custom:"): v[0][1] for k, v in values.items() if k.startswith("custom:")},
        "tags": [t.strip() for _, text in values.get("tags", []) for t in re.split(r"[,;]|:::", text) if t.strip()],
        "external_id": first("external_id"),
    }


def find_existing(ctx: Context, plan: dict[str, Any], model: type) -> Any:
    key = ctx.dedupe_key
    qs = visible(model.objects.all(), ctx.actor)
    if key == "external_id" and plan.get("external_id"):
        ct = ContentType.objects.get_for_model(model)
        hit = (
            ExternalId.objects.filter(content_type=ct, value=plan["external_id"])
            .values_list("object_id", flat=True)
            .first()
        )
        return qs.filter(pk=hit).first() if hit else None
    if model is Contact:
        if key == "email" and plan.get("emails"):
            addresses = [e["email"] for e in plan["emails"]]
            ids = EmailAddress.objects.filter(email__in=addresses).values_list("contact_id", flat=True)
            return qs.filter(pk__in=ids).order_by("id").first()
        if key == "phone" and plan.get("phones"):
            digits = [phone_digits(p["number"]) for p in plan["phones"]]
            ids = PhoneNumber.objects.filter(digits__in=digits).values_list("contact_id", flat=True)
            return qs.filter(pk__in=ids).order_by("id").first()
    if model.__name__ == "Order" and key == "external_ref":
        from rapport.imports.targets_orders import find_order

        return find_order(ctx, plan)
    if model.__name__ == "Product" and key == "sku":
        from rapport.imports.targets_sales import find_product

        return find_product(ctx, plan)
    if model.__name__ == "Deal" and key == "name":
        from rapport.imports.targets_sales import find_deal

        return find_deal(ctx, plan)
    if model is Company:
        if key == "domain" and plan.get("domains"):
            ids = CompanyDomain.objects.filter(domain__in=plan["domains"], is_live=True).values_list(
                "company_id", flat=True
            )
            return qs.filter(pk__in=ids).order_by("id").first()
        if key == "name" and plan["data"].get("name"):
            return qs.filter(name__iexact=plan["data"]["name"]).order_by("id").first()
    return None


def snapshot(record: Any) -> dict[str, Any]:
    """What an update may change, to put back on undo."""
    snap: dict[str, Any] = {"fields": {}, "custom": record.custom}
    for f in record._meta.concrete_fields:
        if f.name in record.history_excluded or f.name == "custom" or not f.editable:
            continue
        value = getattr(record, f.attname)
        snap["fields"][f.name] = (
            value.isoformat() if hasattr(value, "isoformat") else (str(value) if isinstance(value, Decimal) else value)
        )
    if isinstance(record, Contact):
        snap["emails"] = [{"email": e.email, "label": e.label, "is_primary": e.is_primary} for e in record.emails.all()]
        snap["phones"] = [
            {"number": p.number, "label": p.label, "is_primary": p.is_primary} for p in record.phones.all()
        ]
    if isinstance(record, Company):
        snap["domains"] = list(record.domains.filter(is_live=True).values_list("domain", flat=True))
    if hasattr(record, "tagged_items"):
        snap["tags"] = [t.tag.name for t in record.tagged_items.select_related("tag")]
    if type(record).__name__ == "Product":
        snap["prices"] = {p.currency: str(p.unit_price) for p in record.prices.all()}
    return snap


def apply_contact(ctx: Context, plan: dict[str, Any], existing: Contact | None) -> tuple[str, Contact | None]:
    actor = ctx.actor
    name, domain = plan["company"]
    data = dict(plan["data"])
    if name or domain:
        company = _find_company(ctx, name, domain)
        if company is not None:
            data["company"] = company.pk
    tags = plan["tags"] + ctx.tags
    if existing is not None:
        if ctx.policy == "skip":
            return "skipped", existing
        if ctx.policy == "update":
            merged_emails = None
            if plan["emails"]:
                have = [{"email": e.email, "label": e.label} for e in existing.emails.all()]
                merged_emails = have + [e for e in plan["emails"] if e["email"] not in {h["email"] for h in have}]
            merged_tags = None
            if tags:
                merged_tags = sorted({t.tag.name for t in existing.tagged_items.select_related("tag")} | set(tags))
            contact_services.contact_update(
                actor=actor,
                contact=existing,
                data={k: v for k, v in data.items() if v not in ("", None)},
                emails=merged_emails,
                phones=plan["phones"],
                addresses=plan["addresses"],
                tags=merged_tags,
                custom=plan["custom"] or None,
            )
            return "updated", existing
    contact = contact_services.contact_create(
        actor=actor,
        data={k: v for k, v in data.items() if v not in ("", None)},
        emails=plan["emails"],
        phones=plan["phones"],
        addresses=plan["addresses"],
        tags=tags or None,
        custom=plan["custom"] or None,
    )
    return "created", contact


# --- companies ----------------------------------------------------------------------------------


def company_plan(ctx: Context, row: int, values: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    errors: list[RowError] = []
    first = lambda key: values[key][0][1] if key in values else ""  # noqa: E731
    data: dict[str, Any] = {"name": first("name")}
    if not data["name"]:
        errors.append(RowError(row, "", "The row has no company name."))
    elif len(data["name"]) > 200:
        errors.append(RowError(row, values["name"][0][0], f"At most 200 characters ({len(data['name'])} given)."))
    for key in ("description", "revenue_currency"):
        if first(key):
            data[key] = first(key).upper() if key == "revenue_currency" else first(key)
    domains: list[str] = []
    for key in ("domain", "website"):
        if first(key):
            try:
                domains.append(normalise_domain(first(key)))
            except ValidationError:
                errors.append(RowError(row, values[key][0][0], f"{first(key)!r} is not a domain or web address."))
    if first("website"):
        site = first("website")
        data["website"] = site if "://" in site else f"https://{site}"
    if first("phone"):
        try:
            data["phone"] = normalise_phone(first("phone"), ctx.actor.workspace.default_region)
        except ValidationError:
            ctx.warn(
                row, values["phone"][0][0], first("phone"), "Not a phone number (add the country code, e.g. +49…)."
            )
    for key in ("industry", "lifecycle_stage"):
        if key in values:
            try:
                data[key] = _choice(Company, key, first(key))
            except ValueError as exc:
                ctx.warn(row, values[key][0][0], first(key), str(exc))
    if "annual_revenue" in values:
        try:
            data["annual_revenue"] = parse_decimal(first("annual_revenue"))
            data.setdefault("revenue_currency", ctx.actor.workspace.default_currency)
        except ValueError as exc:
            errors.append(RowError(row, values["annual_revenue"][0][0], str(exc)))
    if "owner_email" in values:
        owner = _owner_or_warn(ctx, row, values["owner_email"][0][0], first("owner_email"))
        if owner is not None:
            data["owner"] = owner
    if errors:
        raise RowInvalid(errors)
    addresses = _address(values)
    _fix_country(ctx, row, values, addresses)
    return {
        "data": data,
        "domains": sorted(set(domains)) or None,
        "addresses": addresses,
        "custom": {k.removeprefix("custom:"): v[0][1] for k, v in values.items() if k.startswith("custom:")},
        "tags": [t.strip() for _, text in values.get("tags", []) for t in re.split(r"[,;]", text) if t.strip()],
        "external_id": first("external_id"),
    }


def apply_company(ctx: Context, plan: dict[str, Any], existing: Company | None) -> tuple[str, Company | None]:
    actor = ctx.actor
    tags = plan["tags"] + ctx.tags
    if existing is not None:
        if ctx.policy == "skip":
            return "skipped", existing
        if ctx.policy == "update":
            contact_services.company_update(
                actor=actor,
                company=existing,
                data={k: v for k, v in plan["data"].items() if v not in ("", None)},
                addresses=plan["addresses"],
                tags=sorted({t.tag.name for t in existing.tagged_items.select_related("tag")} | set(tags))
                if tags
                else None,
                custom=plan["custom"] or None,
            )
            return "updated", existing
    company = contact_services.company_create(
        actor=actor,
        data=plan["data"],
        domains=plan["domains"],
        addresses=plan["addresses"],
        tags=tags or None,
        custom=plan["custom"] or None,
    )
    return "created", company


PLANNERS = {"contacts": (Contact, contact_plan, apply_contact), "companies": (Company, company_plan, apply_company)}


def _register_more() -> None:
    from rapport.imports.targets_sales import Deal, Product, apply_deal, apply_product, deal_plan, product_plan

    PLANNERS["deals"] = (Deal, deal_plan, apply_deal)
    PLANNERS["products"] = (Product, product_plan, apply_product)
    from rapport.imports.targets_activities import Activity, activity_plan, apply_activity
    from rapport.imports.targets_orders import Order, apply_order, order_plan

    PLANNERS["orders"] = (Order, order_plan, apply_order)

    PLANNERS["activities"] = (Activity, activity_plan, apply_activity)


_register_more()
