"""The activity import target: notes, calls, meetings, e-mails and tasks logged against existing records.

Each row goes through ``rapport.activities.services`` (``log_activity`` / ``create_task``), so the
timeline links (a contact's company included), sanitising and the permission checks are the same as
when a person logs the activity. The records are found, never created: a contact by any of its
e-mail addresses, a company by name or domain; an unknown one is an error naming the column.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.activities import services as activity_services
from rapport.activities.models import Activity, ActivityKind, CallDirection, CallOutcome, TaskPriority
from rapport.contacts.models import Company, CompanyDomain, Contact, EmailAddress
from rapport.contacts.validation import normalise_domain, normalise_email
from rapport.core.models import Membership
from rapport.core.permissions import visible
from rapport.imports.targets import EMPTY_DATES, Context, RowError, RowInvalid, parse_date, parse_decimal

KINDS = {
    "note": ActivityKind.NOTE,
    "notes": ActivityKind.NOTE,
    "notiz": ActivityKind.NOTE,
    "call": ActivityKind.CALL,
    "calls": ActivityKind.CALL,
    "phonecall": ActivityKind.CALL,
    "anruf": ActivityKind.CALL,
    "meeting": ActivityKind.MEETING,
    "meetings": ActivityKind.MEETING,
    "event": ActivityKind.MEETING,
    "termin": ActivityKind.MEETING,
    "email": ActivityKind.EMAIL,
    "task": ActivityKind.TASK,
    "tasks": ActivityKind.TASK,
    "todo": ActivityKind.TASK,
    "aufgabe": ActivityKind.TASK,
}
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
)


def _first(values: dict[str, list[tuple[str, str]]], key: str) -> str:
    return values[key][0][1] if key in values else ""


def _column(values: dict[str, list[tuple[str, str]]], key: str) -> str:
    return values[key][0][0] if key in values else ""


def parse_datetime(text: str) -> dt.datetime:
    """ISO 8601 (with or without offset), common day-first / month-first forms, or a date (00:00)."""
    text = text.strip()
    moment = None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in DATETIME_FORMATS:
            try:
                moment = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware below
                break
            except ValueError:
                continue
    if moment is None:
        day = parse_date(text)
        moment = dt.datetime.combine(day, dt.time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _duration(text: str) -> int:
    """Seconds from "mm:ss", "hh:mm:ss" or a number of minutes."""
    if ":" in text:
        parts = [int(p) for p in text.split(":")]
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + part
        return seconds if len(parts) > 1 else seconds * 60
    return int(parse_decimal(text.lower().removesuffix("min").strip()) * 60)


def _member_id(ctx: Context, email: str) -> int | None:
    user = get_user_model().objects.filter(email__iexact=email.strip()).first()
    if user and Membership.objects.filter(user=user, workspace=ctx.actor.workspace, is_active=True).exists():
        return user.pk
    return None


def _targets(ctx: Context, row: int, values: dict, errors: list[RowError]) -> list[tuple[str, int]]:
    targets: list[tuple[str, int]] = []
    for header, text in values.get("contact_email", []):
        try:
            email = normalise_email(text)
        except ValidationError:
            errors.append(RowError(row, header, f"{text!r} is not an e-mail address."))
            continue
        ids = EmailAddress.objects.filter(email=email).values_list("contact_id", flat=True)
        contact = visible(Contact.objects.all(), ctx.actor).filter(pk__in=ids).order_by("id").first()
        if contact is None:
            errors.append(RowError(row, header, f"No contact you can see has the e-mail {email!r}."))
        else:
            targets.append(("contacts.contact", contact.pk))
    company = None
    if _first(values, "company_domain"):
        text = _first(values, "company_domain")
        try:
            domain = normalise_domain(text)
            hits = CompanyDomain.objects.filter(domain=domain, is_live=True).values_list("company_id", flat=True)
            company = visible(Company.objects.all(), ctx.actor).filter(pk__in=hits).first()
        except ValidationError:
            domain = text
        if company is None:
            errors.append(RowError(row, _column(values, "company_domain"), f"No company you can see has {domain!r}."))
    elif _first(values, "company"):
        name = _first(values, "company").strip()
        company = visible(Company.objects.all(), ctx.actor).filter(name__iexact=name).order_by("id").first()
        if company is None:
            errors.append(RowError(row, _column(values, "company"), f"No company you can see is named {name!r}."))
    if company is not None:
        targets.append(("contacts.company", company.pk))
    if not targets and not errors:
        errors.append(
            RowError(row, "", "The row names no contact (by e-mail) or company (by name or domain) to log it on.")
        )
    return targets


def activity_plan(ctx: Context, row: int, values: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    errors: list[RowError] = []
    kind_text = _first(values, "kind") or "note"
    kind = KINDS.get(re.sub(r"[^a-z]", "", kind_text.lower()))
    if kind is None:
        errors.append(
            RowError(row, _column(values, "kind"), f"{kind_text!r} is not a note, call, meeting, e-mail or task.")
        )
    data: dict[str, Any] = {"kind": kind, "subject": _first(values, "subject"), "body": _first(values, "body")}
    if len(data["subject"]) > 200:
        errors.append(RowError(row, _column(values, "subject"), f"At most 200 characters ({len(data['subject'])})."))
    for key in ("date", "end", "remind_at"):
        text = _first(values, key)
        if text and text not in EMPTY_DATES:
            try:
                data[key] = parse_datetime(text)
            except ValueError as exc:
                errors.append(RowError(row, _column(values, key), str(exc)))
    if _first(values, "duration"):
        try:
            data["call_duration_seconds"] = _duration(_first(values, "duration"))
        except ValueError:
            errors.append(RowError(row, _column(values, "duration"), "Not a duration (minutes or mm:ss)."))
    for key, model in (("call_direction", CallDirection), ("call_outcome", CallOutcome), ("priority", TaskPriority)):
        text = _first(values, key)
        if text:
            norm = re.sub(r"[^a-z0-9]", "", text.lower())
            hit = [v for v, label in model.choices if norm in (v, re.sub(r"[^a-z0-9]", "", str(label).lower()))]
            if hit:
                data[key] = hit[0]
            else:
                ctx.warn(row, _column(values, key), text, f"Not one of: {', '.join(model.labels)}.")
    if _first(values, "location"):
        data["location"] = _first(values, "location")[:200]
    assignee = None
    if _first(values, "assignee_email"):
        assignee = _member_id(ctx, _first(values, "assignee_email"))
        if assignee is None:
            ctx.warn(
                row,
                _column(values, "assignee_email"),
                _first(values, "assignee_email"),
                "No member of this workspace has this e-mail; the task is yours.",
            )
    targets = _targets(ctx, row, values, errors)
    if errors:
        raise RowInvalid(errors)
    return {"data": data, "targets": targets, "assignee": assignee, "external_id": _first(values, "external_id")}


def _logged(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in ("date", "end", "remind_at", "priority") and v not in ("", None)}
    if data["kind"] == ActivityKind.MEETING:
        if data.get("date"):
            out["starts_at"] = data["date"]
        if data.get("end"):
            out["ends_at"] = data["end"]
    elif data.get("date"):
        out["occurred_at"] = data["date"]
    return out


SERVICE_FIELDS = {
    "starts_at": "date",
    "occurred_at": "date",
    "due_at": "date",
    "ends_at": "end",
    "call_duration_seconds": "duration",
    "title": "subject",
    "notes": "body",
    "assignee": "assignee_email",
}


def apply_activity(ctx: Context, plan: dict[str, Any], existing: Activity | None) -> tuple[str, Activity | None]:
    """Errors of the activities services are named after the import's fields (so after the columns)."""
    try:
        return _apply_activity(ctx, plan, existing)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {SERVICE_FIELDS.get(name, name): errors for name, errors in exc.error_dict.items()}
        ) from None


def _apply_activity(ctx: Context, plan: dict[str, Any], existing: Activity | None) -> tuple[str, Activity | None]:
    data = plan["data"]
    if existing is not None:
        if ctx.policy == "skip":
            return "skipped", existing
        if ctx.policy == "update":
            if existing.kind == ActivityKind.TASK or data["kind"] == ActivityKind.TASK:
                raise ValidationError(
                    "A task is not updated by an import (its status and reminders are people's work): "
                    "choose skip or create."
                )
            logged = _logged(data)
            logged.pop("kind")
            activity_services.update_activity(actor=ctx.actor, activity=existing, data=logged)
            return "updated", existing
    if data["kind"] == ActivityKind.TASK:
        task_data = {
            "title": data["subject"] or (data["body"][:200] if data["body"] else ""),
            "notes": data["body"],
            "due_at": data.get("date"),
            "priority": data.get("priority") or "",
            "remind_at": data.get("remind_at"),
        }
        if plan["assignee"]:
            task_data["assignee"] = plan["assignee"]
        task = activity_services.create_task(actor=ctx.actor, data=task_data, targets=plan["targets"])
        return "created", task.activity
    activity = activity_services.log_activity(actor=ctx.actor, data=_logged(data), targets=plan["targets"])
    return "created", activity


def revert_activity(actor: Any, activity: Activity, before: dict[str, Any]) -> None:
    fields = before.get("fields", {})
    data: dict[str, Any] = {}
    for name in ("subject", "body", "location", "call_direction", "call_duration_seconds", "call_outcome"):
        if name in fields:
            data[name] = fields[name]
    for name in ("occurred_at", "starts_at", "ends_at"):
        if name in fields:
            data[name] = dt.datetime.fromisoformat(fields[name]) if fields[name] else None
    activity_services.update_activity(actor=actor, activity=activity, data=data)
