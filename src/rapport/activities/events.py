"""System events on the timeline, from the signals of contacts and sales (which never import us)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from rapport.activities.models import Activity, ActivityKind, ActivityLink, NotificationKind


def _event(workspace_id: int, event_type: str, subject: str, targets: list[tuple[str, int]], data: dict) -> Activity:
    from rapport.core.scoping import audit_context, current_audit

    user = current_audit().actor
    with audit_context(actor=user if getattr(user, "pk", None) else None, source=current_audit().source or "system"):
        activity = Activity(
            workspace_id=workspace_id, kind=ActivityKind.EVENT, event_type=event_type, subject=subject[:200], data=data
        )
        activity.save()
    ActivityLink.objects.bulk_create(
        [
            ActivityLink(
                workspace_id=workspace_id,
                activity=activity,
                target_type=t,
                target_id=i,
                occurred_at=activity.occurred_at,
                kind=ActivityKind.EVENT,
            )
            for t, i in dict.fromkeys(targets)
        ],
        ignore_conflicts=True,
    )
    return activity


def _deal_targets(deal: Any) -> list[tuple[str, int]]:
    targets = [("sales.deal", deal.pk)]
    if deal.company_id:
        targets.append(("contacts.company", deal.company_id))
    return targets


def on_stage_change(sender, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    from rapport.activities.notify import notify

    deal = instance.deal
    if instance.to_status == "won" and instance.from_status != "won":
        activity = _event(instance.workspace_id, "deal_won", f"Deal won: {deal.name}", _deal_targets(deal), {})
        if deal.owner_id:
            notify(
                workspace_id=instance.workspace_id,
                recipient=deal.owner,
                kind=NotificationKind.DEAL_WON,
                title=f"Deal won: {deal.name}",
                url=f"/deals/{deal.pk}/",
                activity=activity,
            )
        return
    if instance.from_stage_id is None and instance.from_status == "":
        return  # the deal's creation, not a move
    if instance.to_status != instance.from_status and instance.to_status == "lost":
        _event(instance.workspace_id, "deal_lost", f"Deal lost: {deal.name}", _deal_targets(deal), {})
        return
    from_name = instance.from_stage.name if instance.from_stage_id else ""
    to_name = instance.to_stage.name if instance.to_stage_id else ""
    _event(
        instance.workspace_id,
        "stage_changed",
        f"Stage changed: {from_name or '—'} → {to_name or '—'}",
        _deal_targets(deal),
        {"from": from_name, "to": to_name},
    )


def on_owned_record_saved(sender, instance: Any, created: bool, **kwargs: Any) -> None:
    """An owner change becomes a timeline event and a *record shared* notification to the new owner."""
    if created or kwargs.get("raw"):
        return
    loaded = getattr(instance, "_loaded_values", None) or {}
    if "owner_id" not in loaded or loaded["owner_id"] == instance.owner_id:
        return
    from rapport.activities.notify import notify
    from rapport.core.scoping import current_audit

    label = instance._meta.label_lower
    targets = [(label, instance.pk)]
    if getattr(instance, "company_id", None):
        targets.append(("contacts.company", instance.company_id))
    new_owner = instance.owner
    subject = f"Owner changed to {new_owner.get_full_name() or new_owner.email}" if new_owner else "Owner removed"
    activity = _event(
        instance.workspace_id, "owner_changed", subject, targets, {"from": loaded["owner_id"], "to": instance.owner_id}
    )
    actor_user = current_audit().actor
    if new_owner is not None and getattr(actor_user, "pk", None) != new_owner.pk:
        paths = {"contacts.contact": "/contacts/", "contacts.company": "/companies/", "sales.deal": "/deals/"}
        notify(
            workspace_id=instance.workspace_id,
            recipient=new_owner,
            kind=NotificationKind.RECORD_SHARED,
            title=f"{instance} is now yours",
            url=f"{paths.get(label, '/')}{instance.pk}/",
            actor_user=actor_user if getattr(actor_user, "pk", None) else None,
            activity=activity,
        )


def connect() -> None:
    from rapport.contacts.models import Company, Contact
    from rapport.sales.models import Deal, DealStageChange

    post_save.connect(on_stage_change, sender=DealStageChange, dispatch_uid="activities.stage_change")
    for model in (Contact, Company, Deal):
        post_save.connect(on_owned_record_saved, sender=model, dispatch_uid=f"activities.owner.{model.__name__}")
