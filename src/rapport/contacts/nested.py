"""Rows that hang off a contact or company (emails, phones, addresses, domains): clean and replace.

``clean_*`` turns what a form or API client sent into normalised dicts, collecting every error
under a dotted name (``emails.1.email``) so the API can name the bad item. ``replace_*`` swaps
the stored rows for the cleaned ones and returns ``(old, new)`` one-line summaries for History,
or ``None`` when nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from rapport.contacts.iso import COUNTRIES
from rapport.contacts.models import (
    Address,
    AddressLabel,
    Company,
    CompanyDomain,
    Contact,
    EmailAddress,
    EmailLabel,
    PhoneLabel,
    PhoneNumber,
)
from rapport.contacts.validation import normalise_domain, normalise_email, normalise_phone, phone_digits

ADDRESS_FIELDS = ("label", "street", "city", "region", "postal_code", "country")
_ADDRESS_LIMITS = {"street": 300, "city": 120, "region": 120, "postal_code": 20}


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _as_item(value: Any, key: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {key: value}


def _check_label(item: dict, choices: type[models.TextChoices], default: str, name: str, errors: dict) -> str:
    label = item.get("label") or default
    if label == default:  # the common case, without listing the choices
        return label
    if not isinstance(label, str) or label not in choices.values:
        errors[f"{name}.label"] = f"Choose one of: {', '.join(choices.values)}."
    return label


def _primary_index(items: list[dict], name: str, errors: dict) -> int:
    flagged = [i for i, item in enumerate(items) if item.get("is_primary")]
    if len(flagged) > 1:
        errors[f"{name}.{flagged[1]}.is_primary"] = "Only one can be the primary one."
    return flagged[0] if flagged else 0


def clean_emails(values: Iterable[Any]) -> list[dict]:
    items = [_as_item(v, "email") for v in values]
    errors: dict[str, str] = {}
    cleaned: list[dict] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        name = f"emails.{index}"
        try:
            email = normalise_email(str(item.get("email") or ""))
        except ValidationError as exc:
            errors[f"{name}.email"] = _messages(exc)
            continue
        if email in seen:
            errors[f"{name}.email"] = f"{email} is listed twice."
        seen.add(email)
        label = _check_label(item, EmailLabel, EmailLabel.WORK, name, errors)
        cleaned.append({"email": email, "label": label, "is_primary": bool(item.get("is_primary"))})
    primary = _primary_index(items, "emails", errors)
    if errors:
        raise ValidationError(errors)
    for index, item in enumerate(cleaned):
        item["is_primary"] = index == primary
    return cleaned


def clean_phones(values: Iterable[Any], region: str) -> list[dict]:
    items = [_as_item(v, "number") for v in values]
    errors: dict[str, str] = {}
    cleaned: list[dict] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        name = f"phones.{index}"
        try:
            number = normalise_phone(str(item.get("number") or ""), region)
        except ValidationError as exc:
            errors[f"{name}.number"] = _messages(exc)
            continue
        if number in seen:
            errors[f"{name}.number"] = f"{number} is listed twice."
        seen.add(number)
        label = _check_label(item, PhoneLabel, PhoneLabel.WORK, name, errors)
        cleaned.append({"number": number, "label": label, "is_primary": bool(item.get("is_primary"))})
    primary = _primary_index(items, "phones", errors)
    if errors:
        raise ValidationError(errors)
    for index, item in enumerate(cleaned):
        item["is_primary"] = index == primary
    return cleaned


def clean_addresses(values: Iterable[Any]) -> list[dict]:
    errors: dict[str, str] = {}
    cleaned: list[dict] = []
    for index, item in enumerate(values):
        name = f"addresses.{index}"
        if not isinstance(item, dict):
            errors[name] = "An address is an object with street, city, region, postal_code and country."
            continue
        unknown = set(item) - {*ADDRESS_FIELDS, "id"}
        for field in sorted(unknown):
            errors[f"{name}.{field}"] = "Unknown address field."
        row = {field: " ".join(str(item.get(field) or "").split()) for field in ADDRESS_FIELDS}
        row["label"] = row["label"] or AddressLabel.OFFICE
        row["country"] = row["country"].upper()
        if row["label"] not in AddressLabel.values:
            errors[f"{name}.label"] = f"Choose one of: {', '.join(AddressLabel.values)}."
        if row["country"] and row["country"] not in COUNTRIES:
            errors[f"{name}.country"] = (
                f"“{row['country']}” is not an ISO 3166 country code; enter two letters like US or FR."
            )
        for field, limit in _ADDRESS_LIMITS.items():
            if len(row[field]) > limit:
                errors[f"{name}.{field}"] = f"At most {limit} characters."
        if not any(row[f] for f in ("street", "city", "region", "postal_code", "country")):
            continue  # an empty form row is no address
        cleaned.append(row)
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_domains(values: Iterable[Any], *, workspace_id: int, company: Company | None) -> list[dict]:
    items = [_as_item(v, "domain") for v in values]
    errors: dict[str, str] = {}
    cleaned: list[dict] = []
    for index, item in enumerate(items):
        try:
            domain = normalise_domain(str(item.get("domain") or ""))
        except ValidationError as exc:
            errors[f"domains.{index}.domain"] = _messages(exc)
            continue
        if any(c["domain"] == domain for c in cleaned):
            errors[f"domains.{index}.domain"] = f"{domain} is listed twice."
        cleaned.append({"domain": domain, "is_primary": bool(item.get("is_primary")), "index": index})
    if cleaned:
        taken = CompanyDomain.objects.filter(
            workspace_id=workspace_id, is_live=True, domain__in=[c["domain"] for c in cleaned]
        ).select_related("company")
        if company is not None and company.pk:
            taken = taken.exclude(company_id=company.pk)
        owners = {row.domain: row.company for row in taken}
        for item in cleaned:
            if item["domain"] in owners:
                errors[f"domains.{item['index']}.domain"] = (
                    f"{item['domain']} already belongs to the company “{owners[item['domain']]}”."
                )
    primary = _primary_index(items, "domains", errors)
    if errors:
        raise ValidationError(errors)
    return [{"domain": c["domain"], "is_primary": i == min(primary, len(cleaned) - 1)} for i, c in enumerate(cleaned)]


# --- replacing stored rows ------------------------------------------------------------------------


def _replace(
    queryset: models.QuerySet,
    new: list[dict],
    keys: tuple[str, ...],
    build: Callable[[int, dict], models.Model],
    summary: Callable[[dict], str],
) -> tuple[str, str] | None:
    old_rows = list(queryset)
    old = [{k: getattr(row, k) for k in keys} for row in old_rows]
    if old == [{k: item.get(k) for k in keys} for item in new]:
        return None
    queryset.hard_delete()  # child rows, replaced as a whole; the parent's History keeps old → new
    queryset.model.objects.bulk_create([build(index, item) for index, item in enumerate(new)])
    return ", ".join(summary(o) for o in old), ", ".join(summary(n) for n in new)


def _primary_mark(item: dict) -> str:
    return " (primary)" if item.get("is_primary") else ""


def replace_emails(contact: Contact, emails: list[dict]) -> tuple[str, str] | None:
    return _replace(
        EmailAddress.objects.filter(contact=contact).order_by("position", "id"),
        emails,
        ("email", "label", "is_primary"),
        lambda i, e: EmailAddress(workspace_id=contact.workspace_id, contact=contact, position=i, **e),
        lambda e: f"{e['email']} ({e['label']}){_primary_mark(e) if len(emails) > 1 else ''}",
    )


def replace_phones(contact: Contact, phones: list[dict]) -> tuple[str, str] | None:
    return _replace(
        PhoneNumber.objects.filter(contact=contact).order_by("position", "id"),
        phones,
        ("number", "label", "is_primary"),
        lambda i, p: PhoneNumber(
            workspace_id=contact.workspace_id, contact=contact, position=i, digits=phone_digits(p["number"]), **p
        ),
        lambda p: f"{p['number']} ({p['label']})",
    )


def replace_addresses(owner: Contact | Company, addresses: list[dict]) -> tuple[str, str] | None:
    parent = {"contact": owner} if isinstance(owner, Contact) else {"company": owner}
    return _replace(
        Address.objects.filter(**parent).order_by("position", "id"),
        addresses,
        ADDRESS_FIELDS,
        lambda i, a: Address(workspace_id=owner.workspace_id, position=i, **parent, **a),
        lambda a: Address(**{k: a.get(k, "") for k in ADDRESS_FIELDS}).one_line,
    )


def replace_domains(company: Company, domains: list[dict]) -> tuple[str, str] | None:
    return _replace(
        CompanyDomain.objects.filter(company=company).order_by("-is_primary", "domain"),
        sorted(domains, key=lambda d: (not d["is_primary"], d["domain"])),
        ("domain", "is_primary"),
        lambda i, d: CompanyDomain(workspace_id=company.workspace_id, company=company, is_live=True, **d),
        lambda d: d["domain"],
    )


def primary_of(items: list[dict], key: str) -> str:
    return next((item[key] for item in items if item.get("is_primary")), items[0][key] if items else "")
