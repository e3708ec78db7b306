"""Writes for quotas (``quotas.manage``: owners, admins, managers)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from rapport.core import services as core_services
from rapport.core.permissions import Actor
from rapport.sales.models import PeriodKind, Quota
from rapport.sales.money import normalise_currency
from rapport.sales.services.common import apply_fields, check_version, reject_unknown, require

MANAGE = "quotas.manage"
DENIED = "Only owners, admins and managers set quotas."
QUOTA_FIELDS = ("user", "period", "period_start", "amount", "currency")
QUARTER_STARTS = (1, 4, 7, 10)


def _check_period(quota: Quota) -> None:
    start = quota.period_start
    if start is None:
        return
    if start.day != 1:
        raise ValidationError({"period_start": "A period starts on the first day of a month."})
    if quota.period == PeriodKind.QUARTER and start.month not in QUARTER_STARTS:
        raise ValidationError({"period_start": "A quarter starts in January, April, July or October."})


def quota_create(*, actor: Actor, data: dict[str, Any]) -> Quota:
    require(actor, MANAGE, DENIED)
    reject_unknown(data, QUOTA_FIELDS)
    data = {**data, "currency": normalise_currency(data.get("currency") or actor.workspace.default_currency)}
    quota = Quota()
    apply_fields(quota, data)
    _check_period(quota)
    with transaction.atomic():
        quota.save()
    return quota


def quota_update(*, actor: Actor, quota: Quota, data: dict[str, Any], expected_version: int | None = None) -> bool:
    require(actor, MANAGE, DENIED)
    check_version(quota, expected_version)
    reject_unknown(data, QUOTA_FIELDS)
    if "currency" in data:
        data = {**data, "currency": normalise_currency(data["currency"])}
    apply_fields(quota, data)
    _check_period(quota)
    if not quota.changed_fields():
        return False
    with transaction.atomic():
        quota.save()
    return True


def quota_delete(*, actor: Actor, quota: Quota, expected_version: int | None = None) -> None:
    require(actor, MANAGE, DENIED)
    core_services.record_delete(actor=actor, record=quota, expected_version=expected_version)
