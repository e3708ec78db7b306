"""The people and company of a deal: contacts with roles, and making them customers on a win."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, Contact, LifecycleStage
from rapport.core.permissions import Actor, can_change, can_view
from rapport.sales.models import Deal, DealContact
from rapport.sales.services.common import check_version, event, require_change, touch


def deal_contact_add(
    *,
    actor: Actor,
    deal: Deal,
    contact: Contact,
    role: str,
    is_primary: bool = False,
    expected_version: int | None = None,
) -> DealContact:
    require_change(actor, deal)
    check_version(deal, expected_version)
    if contact.workspace_id != deal.workspace_id or not can_view(actor, contact) or contact.deleted_at:
        raise ValidationError({"contact": "No such contact."})
    row = DealContact(workspace_id=deal.workspace_id, deal=deal, contact=contact, role=role, is_primary=is_primary)
    row.full_clean(exclude=["deal", "contact", "workspace"], validate_constraints=False)
    if DealContact.objects.filter(deal=deal, contact=contact).exists():
        raise ValidationError({"contact": f"{contact} is already on this deal."})
    with transaction.atomic():
        if is_primary:
            DealContact.objects.filter(deal=deal, is_primary=True).update(is_primary=False)
        row.save()
        event(deal, {"contact added": [None, str(row)]})
        touch(deal)
    return row


def deal_contact_remove(*, actor: Actor, deal: Deal, row: DealContact, expected_version: int | None = None) -> None:
    require_change(actor, deal)
    check_version(deal, expected_version)
    if row.deal_id != deal.pk:
        raise ValidationError({"contact": "This contact is not on this deal."})
    with transaction.atomic():
        DealContact.objects.filter(pk=row.pk).hard_delete()  # a part of the deal; its History keeps the trace
        event(deal, {"contact removed": [str(row), None]})
        touch(deal)


def primary_contact_id(deal: Deal) -> int | None:
    row = DealContact.objects.filter(deal=deal).order_by("-is_primary", "id").values_list("contact_id", flat=True)
    return row.first()


def mark_customers(*, actor: Actor, deal: Deal) -> None:
    """Set the lifecycle stage of the deal's company and contacts to *customer*.

    Through the contacts services when the actor may change the record (History, search index);
    otherwise — a rep winning a deal whose company belongs to another team — by saving the
    record's lifecycle field directly, which still writes History with the rep as the actor.
    """
    records: list[Company | Contact] = []
    if deal.company_id:
        company = Company.objects.filter(pk=deal.company_id).first()
        if company is not None:
            records.append(company)
    records.extend(Contact.objects.filter(deal_roles__deal=deal))
    for record in records:
        if record.lifecycle_stage == LifecycleStage.CUSTOMER:
            continue
        if can_change(actor, record):
            update = contact_services.company_update if isinstance(record, Company) else contact_services.contact_update
            kwargs = {"company": record} if isinstance(record, Company) else {"contact": record}
            update(actor=actor, data={"lifecycle_stage": LifecycleStage.CUSTOMER}, **kwargs)
        else:
            record.lifecycle_stage = LifecycleStage.CUSTOMER
            record.save(update_fields=["lifecycle_stage"])
