"""Undo an import from its ledger: remove what it created, put back what it updated.

A record changed by someone after the import (its version moved on) is kept as it is and listed,
so undo never throws away a person's later work. Created records are removed for good (with their
tags, search entry and external id): they never existed before the import.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, Contact
from rapport.core.permissions import Actor
from rapport.imports.models import ExternalId, ImportItem, ImportRun, ItemAction
from rapport.tags.models import TaggedItem

_CONTACT_FIELDS = set(contact_services.CONTACT_FIELDS)
_COMPANY_FIELDS = set(contact_services.COMPANY_FIELDS)


UNDO_CHUNK = 1000  # ids per statement (SQLite allows at most 32,766 parameters per statement)


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + UNDO_CHUNK] for i in range(0, len(ids), UNDO_CHUNK)]


def _remove(model: type, ids: list[int]) -> int:
    """Remove created records for good, with their tags, search entries and external ids (set-based)."""
    from rapport.search.index import remove_many

    if not ids:
        return 0
    ct = ContentType.objects.get_for_model(model)
    removed = 0
    for chunk in _chunks(ids):
        present = list(model.all_objects.filter(pk__in=chunk).values_list("pk", flat=True))
        remove_many(model, present)
        TaggedItem.objects.filter(content_type=ct, object_id__in=present).hard_delete()
        ExternalId.objects.filter(content_type=ct, object_id__in=present).delete()
        model.all_objects.filter(pk__in=present).hard_delete()
        removed += len(present)
    return removed


def _referenced_from_outside(model: type, ids: list[int], removing: dict[type, list[int]]) -> set[int]:
    """Ids among ``ids`` that a row not being removed points at through a non-cascading foreign key."""
    from django.db import models as dj

    used: set[int] = set()
    for rel in model._meta.related_objects:
        if not (rel.one_to_many or rel.one_to_one) or rel.on_delete is dj.CASCADE:
            continue
        leaving = set(removing.get(rel.related_model, ()))
        for chunk in _chunks(ids):
            rows = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": chunk})
            used.update(target for pk, target in rows.values_list("pk", rel.field.attname) if pk not in leaving)
    return used


def _revert(actor: Actor, record: Any, before: dict[str, Any]) -> None:
    fields = before.get("fields", {})
    if isinstance(record, Contact):
        data = {k: v for k, v in fields.items() if k in _CONTACT_FIELDS}
        record.custom = before.get("custom", {})
        contact_services.contact_update(
            actor=actor,
            contact=record,
            data=data,
            emails=before.get("emails"),
            phones=before.get("phones"),
            tags=before.get("tags"),
        )
    elif type(record).__name__ == "Order":
        from rapport.imports.targets_orders import revert_order

        revert_order(actor, record, before)
    elif type(record).__name__ == "Activity":
        from rapport.imports.targets_activities import revert_activity

        revert_activity(actor, record, before)
    elif type(record).__name__ == "Product":
        from rapport.sales.services import products as product_services

        data = {k: v for k, v in fields.items() if k in product_services.PRODUCT_FIELDS}
        product_services.product_update(actor=actor, product=record, data=data, prices=before.get("prices", {}))
    elif type(record).__name__ == "Deal":
        _revert_deal(actor, record, before)
    elif isinstance(record, Company):
        data = {k: v for k, v in fields.items() if k in _COMPANY_FIELDS}
        record.custom = before.get("custom", {})
        contact_services.company_update(
            actor=actor, company=record, data=data, domains=before.get("domains"), tags=before.get("tags")
        )


def _revert_deal(actor: Actor, deal: Any, before: dict[str, Any]) -> None:
    """Put back a deal's fields, stage and open / won / lost status as they were before the import."""
    import datetime as dt

    from rapport.sales.models import Pipeline, Stage
    from rapport.sales.services import deals as deal_services

    fields = before.get("fields", {})
    if fields.get("status") == "open" and not deal.is_open:
        deal = deal_services.deal_reopen(actor=actor, deal=deal)
    data: dict[str, Any] = {}
    for name in deal_services.EDIT_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "pipeline":
            value = Pipeline.all_objects.get(pk=value)
        elif name == "stage":
            value = Stage.all_objects.get(pk=value)
        elif name in ("owner", "company"):
            name = f"{name}_id"
        elif name == "expected_close_date" and value:
            value = dt.date.fromisoformat(value)
        data[name] = value
    owner_id, company_id = data.pop("owner_id", None), data.pop("company_id", None)
    deal.owner_id, deal.company_id = owner_id, company_id
    deal_services.deal_update(actor=actor, deal=deal, data=data, tags=before.get("tags"))


def _revert_side_update(actor: Actor, record: Any, item: ImportItem) -> str | None:
    """Put back the fields a side effect of the import set (a won deal's lifecycle stage).

    Field by field, and only while the record still has the value the import set: a later edit by
    someone (another stage) is kept. A record that a won deal which stays still makes a customer
    (a deal kept by this undo, a deal won since) keeps its stage too. Returns why it was kept, or
    None when it was put back.
    """
    from rapport.core.permissions import can_change
    from rapport.sales.models import Deal, DealStatus

    set_to: dict[str, Any] = item.before.get("set", {})
    old: dict[str, Any] = item.before.get("fields", {})
    changes = {name: old[name] for name, value in set_to.items() if name in old and getattr(record, name) == value}
    label = f"{record._meta.verbose_name} “{record}” (row {item.row_number})"
    if len(changes) < len(set_to):
        return f"{label}: changed after the import"
    won = Deal.objects.filter(status=DealStatus.WON)
    if isinstance(record, Company):
        won = won.filter(company_id=record.pk)
    else:
        won = won.filter(deal_contacts__contact_id=record.pk)
    if won.exists():
        return f"{label}: a won deal still refers to it"
    if can_change(actor, record):
        update = contact_services.company_update if isinstance(record, Company) else contact_services.contact_update
        kwargs = {"company": record} if isinstance(record, Company) else {"contact": record}
        update(actor=actor, data=changes, **kwargs)
    else:  # as ``mark_customers`` set it for a record the actor may not change (History still written)
        for name, value in changes.items():
            setattr(record, name, value)
        record.save(update_fields=list(changes))
    return None


def undo_items(actor: Actor, run: ImportRun) -> dict[str, Any]:
    """Runs inside the caller's transaction."""
    items = list(ImportItem.objects.filter(run=run).select_related("content_type").order_by("-row_number", "-id"))
    removed = reverted = 0
    kept: list[str] = []
    by_model: dict[type, list[tuple[ImportItem, Any]]] = {}
    # The version each record had when this import last touched it (items come latest first): a
    # record created by one row and changed by a later row's side effect (a company made a customer
    # by a deal won further down the file) is still untouched since the import.
    last_version: dict[tuple[int, int], int] = {}
    for item in items:
        model = item.content_type.model_class()
        by_model.setdefault(model, []).append(item)
        last_version.setdefault((item.content_type_id, item.object_id), item.version_after)
    to_remove: dict[type, list[int]] = {}
    side_updates: list[tuple[type, ImportItem]] = []
    for model, model_items in by_model.items():
        current = {
            r.pk: r
            for chunk in _chunks([i.object_id for i in model_items])
            for r in model.all_objects.filter(pk__in=chunk)
        }
        for item in model_items:
            if item.action == ItemAction.UPDATED and "set" in item.before:
                side_updates.append((model, item))  # after the removals and reverts below
                continue
            record = current.get(item.object_id)
            if record is None:
                continue
            if item.action == ItemAction.CREATED:
                if record.version != last_version[(item.content_type_id, item.object_id)]:
                    kept.append(f"{model._meta.verbose_name} “{record}” (row {item.row_number})")
                    continue
                to_remove.setdefault(model, []).append(record.pk)
            elif record.version != item.version_after:
                kept.append(f"{model._meta.verbose_name} “{record}” (row {item.row_number})")
            else:
                _revert(actor, record, item.before)
                reverted += 1
    # Contacts first: companies the import created may be their company. A created record that a
    # record outside this undo now points at (a kept contact, a deal added since) stays.
    for model in sorted(to_remove, key=lambda m: 0 if m is Contact else 1):
        ids = to_remove[model]
        still_used = _referenced_from_outside(model, ids, to_remove)
        for pk in still_used:
            kept.append(f"{model._meta.verbose_name} #{pk} (other records now refer to it)")
        removed += _remove(model, [pk for pk in ids if pk not in still_used])
    # Side effects last, once the deals the import created are gone and those it won are reopened.
    for model, item in side_updates:
        record = model.all_objects.filter(pk=item.object_id, deleted_at__isnull=True).first()
        if record is None:  # removed above (the import created it) or deleted since
            continue
        why = _revert_side_update(actor, record, item)
        if why is None:
            reverted += 1
        else:
            kept.append(why)
    return {"removed": removed, "reverted": reverted, "kept": kept}
