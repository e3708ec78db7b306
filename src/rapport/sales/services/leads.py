"""Leads: contacts in lifecycle lead / MQL / SQL. Status, assignment rules, and conversion to a deal.

Conversion creates (or links) the company with a duplicate check — the contact's email domain
against company domains, and the company name — then creates the deal with the contact as its
primary contact, and moves the contact to the *opportunity* stage. All in one transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, CompanyDomain, Contact, ContactRoleKind, LeadStatus, LifecycleStage
from rapport.core import services as core_services
from rapport.core.models import Membership
from rapport.core.permissions import Actor, can_change, visible
from rapport.sales.models import AssignmentRule, Deal, DealSource, Pipeline, RuleField
from rapport.sales.services.common import apply_fields, reject_unknown, require
from rapport.sales.services.customers import deal_contact_add
from rapport.sales.services.deals import deal_create

LEAD_STAGES = (LifecycleStage.LEAD, LifecycleStage.MARKETING_QUALIFIED, LifecycleStage.SALES_QUALIFIED)
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "mail.com",
        "proton.me",
        "protonmail.com",
        "yandex.ru",
        "mail.ru",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "t-online.de",
        "libero.it",
        "qq.com",
        "163.com",
    ]
)
RULE_FIELDS = ("name", "field", "values", "assign_to", "team")
SOURCE_MAP = {
    "website": DealSource.WEBSITE,
    "referral": DealSource.REFERRAL,
    "event": DealSource.EVENT,
    "outbound": DealSource.OUTBOUND,
    "inbound_call": DealSource.INBOUND,
    "partner": DealSource.PARTNER,
    "advertising": DealSource.ADVERTISING,
}


def is_lead(contact: Contact) -> bool:
    return contact.lifecycle_stage in LEAD_STAGES


def email_domain(contact: Contact) -> str:
    """The contact's business email domain, or "" for free-mail addresses."""
    email = contact.primary_email or ""
    domain = email.rpartition("@")[2].lower().strip()
    return "" if not domain or domain in FREE_MAIL else domain


def company_candidates(actor: Actor, contact: Contact, name: str = "") -> list[tuple[Company, str]]:
    """Visible companies the lead probably belongs to, each with the reason (the duplicate check)."""
    found: dict[int, tuple[Company, str]] = {}
    companies = visible(Company.objects.all(), actor)
    if contact.company_id:
        company = companies.filter(pk=contact.company_id).first()
        if company:
            found[company.pk] = (company, "the contact's company")
    domain = email_domain(contact)
    if domain:
        ids = CompanyDomain.objects.filter(domain=domain, is_live=True).values("company_id")
        for company in companies.filter(pk__in=ids)[:5]:
            found.setdefault(company.pk, (company, f"domain {domain}"))
    name = (name or "").strip()
    if name:
        for company in companies.annotate(lname=Lower("name")).filter(lname=name.lower())[:5]:
            found.setdefault(company.pk, (company, "same name"))
    return list(found.values())


def lead_set_status(*, actor: Actor, contact: Contact, status: str, expected_version: int | None = None) -> bool:
    if status not in LeadStatus.values:
        raise ValidationError({"lead_status": "Choose a lead status."})
    return contact_services.contact_update(
        actor=actor, contact=contact, data={"lead_status": status}, expected_version=expected_version
    )


def lead_convert(
    *,
    actor: Actor,
    contact: Contact,
    deal_name: str,
    pipeline: Pipeline,
    amount: Decimal | None = None,
    currency: str | None = None,
    company: Company | None = None,
    new_company_name: str = "",
    expected_version: int | None = None,
) -> Deal:
    """Turn a lead into a deal: link or create the company, create the deal, mark the contact."""
    if not can_change(actor, contact):
        raise PermissionDenied("You may not convert this lead.")
    if not is_lead(contact):
        raise ValidationError({"contact": "Only leads (lead, MQL or SQL) are converted."})
    new_company_name = (new_company_name or "").strip()
    if company is not None and new_company_name:
        raise ValidationError({"company": "Link an existing company or name a new one, not both."})
    if new_company_name:
        duplicates = [
            c for c, reason in company_candidates(actor, contact, new_company_name) if reason != "the contact's company"
        ]
        if duplicates:
            names = ", ".join(f"“{c.name}”" for c in duplicates)
            raise ValidationError(
                {"new_company_name": f"{names} already exists: link it instead of creating a duplicate."}
            )
    with transaction.atomic():
        if new_company_name:
            domain = email_domain(contact)
            company = contact_services.company_create(
                actor=actor,
                data={"name": new_company_name, "lifecycle_stage": LifecycleStage.OPPORTUNITY},
                domains=[domain] if domain else [],
            )
        changes: dict[str, Any] = {"lifecycle_stage": LifecycleStage.OPPORTUNITY, "lead_status": LeadStatus.QUALIFIED}
        if company is not None and contact.company_id is None:
            changes["company"] = company
        contact_services.contact_update(actor=actor, contact=contact, data=changes, expected_version=expected_version)
        data: dict[str, Any] = {"name": deal_name, "pipeline": pipeline, "company": company}
        if amount is not None:
            data["amount"] = amount
        if currency:
            data["currency"] = currency
        if contact.owner_id:
            data["owner"] = contact.owner
        if SOURCE_MAP.get(contact.lead_source):
            data["source"] = SOURCE_MAP[contact.lead_source]
        deal = deal_create(actor=actor, data=data)
        deal_contact_add(actor=actor, deal=deal, contact=contact, role=ContactRoleKind.DECISION_MAKER, is_primary=True)
    return deal


# --- Assignment rules -----------------------------------------------------------------------------


def rule_create(*, actor: Actor, data: dict[str, Any]) -> AssignmentRule:
    require(actor, "sales.configure", "Only owners and admins change lead assignment rules.")
    reject_unknown(data, RULE_FIELDS)
    if not data.get("assign_to") and not data.get("team"):
        raise ValidationError({"assign_to": "Choose a person, or a team for round robin."})
    if data.get("field") and not str(data.get("values", "")).strip():
        raise ValidationError({"values": "List the values that match."})
    rule = AssignmentRule(position=AssignmentRule.objects.count() + 1)
    apply_fields(rule, data)
    with transaction.atomic():
        rule.save()
    return rule


def rule_delete(*, actor: Actor, rule: AssignmentRule, expected_version: int | None = None) -> None:
    require(actor, "sales.configure", "Only owners and admins change lead assignment rules.")
    core_services.record_delete(actor=actor, record=rule, expected_version=expected_version)


def _matches(rule: AssignmentRule, contact: Contact) -> bool:
    if rule.field == RuleField.ANY:
        return True
    wanted = set(rule.value_list)
    if rule.field == RuleField.COUNTRY:
        return any(a.country.lower() in wanted for a in contact.addresses.all() if a.country)
    if rule.field == RuleField.LEAD_SOURCE:
        return contact.lead_source.lower() in wanted
    return False


def _round_robin(rule: AssignmentRule) -> int | None:
    """The next active member of the rule's team after the last one served (locked against races)."""
    locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    member_ids = sorted(
        Membership.objects.filter(workspace_id=rule.workspace_id, team_id=rule.team_id, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    if not member_ids:
        return None
    after = [pk for pk in member_ids if locked.last_assigned_id is None or pk > locked.last_assigned_id]
    chosen = after[0] if after else member_ids[0]
    AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned_id=chosen)  # a cursor, not an edit: no History
    return chosen


def assignee_for(contact: Contact) -> int | None:
    """The user id the first matching active rule gives this lead, or None."""
    for rule in AssignmentRule.objects.filter(workspace_id=contact.workspace_id, active=True).order_by(
        "position", "id"
    ):
        if not _matches(rule, contact):
            continue
        if rule.assign_to_id:
            active = Membership.objects.filter(
                workspace_id=contact.workspace_id, user_id=rule.assign_to_id, is_active=True
            ).exists()
            if active:
                return rule.assign_to_id
        if rule.team_id:
            chosen = _round_robin(rule)
            if chosen:
                return chosen
    return None


def assign_lead(*, contact: Contact) -> int | None:
    """Give an unowned lead to whoever the rules say (the lead's History names who created it)."""
    if contact.owner_id is not None or not is_lead(contact):
        return None
    with transaction.atomic():
        user_id = assignee_for(contact)
        if user_id is not None:
            contact.owner_id = user_id
            contact.save(update_fields=["owner"])
    return user_id
