"""Timeline pages: log an activity from a record, an activity's page with comments, edit, pin, delete."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.activities import selectors, services
from rapport.activities.forms import CommentForm, LogForm
from rapport.activities.models import ActivityKind
from rapport.core.decorators import workspace_required
from rapport.core.models import ConflictError
from rapport.core.permissions import can_change


def _back(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{field.replace('_', ' ').capitalize()}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    return list(exc.messages)


def _target(request: HttpRequest):
    target_type = request.POST.get("target_type") or request.GET.get("target_type") or ""
    target_id = request.POST.get("target_id") or request.GET.get("target_id") or ""
    record = selectors.target_record(request.actor, target_type, target_id)
    return target_type, record


@workspace_required
def log_activity(request: HttpRequest) -> HttpResponse:
    """Log a note, call or meeting on a record (the quick-add of the timeline panel)."""
    actor = request.actor
    target_type, record = _target(request)
    form = LogForm(request.POST or None, initial={"kind": request.GET.get("kind", "note")})
    errors: list[str] = []
    if request.method == "POST":
        if not actor.can_write:
            raise PermissionDenied("Your role may not add activities.")
        if form.is_valid():
            try:
                services.log_activity(
                    actor=actor,
                    data=form.service_data(),
                    targets=[(target_type, record.pk)],
                    attendees=form.attendee_list(),
                    send_invitations=form.cleaned_data.get("send_invitations", False),
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, f"{dict(ActivityKind.choices)[form.cleaned_data['kind']]} logged.")
                return redirect(_back(request, selectors.record_url(record)))
        status = 400
    else:
        status = 200
    return render(
        request,
        "activities/log_form.html",
        {"form": form, "record": record, "target_type": target_type, "errors": errors, "next": _back(request, "")},
        status=status,
    )


@workspace_required
def timeline(request: HttpRequest, target_type: str, target_id: int) -> HttpResponse:
    """The timeline of one record, filterable by type, paged by date (HTMX fragment or full page)."""
    actor = request.actor
    record = selectors.target_record(actor, target_type, target_id)
    kinds = [k for k in request.GET.getlist("kind") if k in ActivityKind.values]
    before = None
    if request.GET.get("before"):
        try:
            before = datetime.fromisoformat(request.GET["before"])
        except ValueError:
            raise Http404("Bad page marker.") from None
        if timezone.is_naive(before):
            before = timezone.make_aware(before)
    page = selectors.timeline(actor, record, kinds=kinds or None, before=before)
    context = {
        "record": record,
        "page": page,
        "kinds": ActivityKind.choices,
        "chosen": kinds,
        "target_type": target_type,
        "target_id": record.pk,
    }
    template = "activities/_entries.html" if request.headers.get("HX-Request") else "activities/timeline.html"
    return render(request, template, context)


@workspace_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    activity = selectors.activity_for(actor, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if not actor.can_write:
            raise PermissionDenied("Your role may not comment.")
        if form.is_valid():
            try:
                services.add_comment(actor=actor, activity=activity, body=form.cleaned_data["body"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("activities:activity_detail", pk=activity.pk)
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "records": selectors.linked_records(actor, activity),
            "comments": activity.comments.select_related("created_by"),
            "attendees": activity.attendees.all(),
            "form": form,
            "can_change": can_change(actor, activity) and activity.kind != ActivityKind.EVENT,
        },
        status=400 if form.errors else 200,
    )


@workspace_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    activity = selectors.activity_for(actor, pk)
    if not can_change(actor, activity) or activity.kind in (ActivityKind.EVENT, ActivityKind.TASK):
        raise PermissionDenied("You may not change this activity.")
    initial = {
        "kind": activity.kind,
        "subject": activity.subject,
        "body": activity.body,
        "occurred_at": activity.occurred_at,
        "is_private": activity.is_private,
        "call_direction": activity.call_direction,
        "call_outcome": activity.call_outcome,
        "call_minutes": (activity.call_duration_seconds or 0) // 60 if activity.call_duration_seconds else None,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "location": activity.location,
    }
    form = LogForm(request.POST or None, initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data.pop("kind", None)
        for field in ("subject", "body", "location", "call_direction", "call_outcome"):
            data.setdefault(field, "")  # an emptied field is cleared, not kept
        try:
            version = int(request.POST.get("version", activity.version))
            services.update_activity(actor=actor, activity=activity, data=data, expected_version=version)
        except ValidationError as exc:
            errors = _errors(exc)
        except ConflictError as exc:
            errors = [str(exc)]
        except ValueError:
            errors = ["The form's version is not a number; reload the page."]
        else:
            messages.success(request, "Activity saved.")
            return redirect("activities:activity_detail", pk=activity.pk)
    return render(
        request,
        "activities/edit_form.html",
        {"form": form, "activity": activity, "errors": errors},
        status=400 if request.method == "POST" else 200,
    )


@workspace_required
@require_POST
def activity_pin(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_for(request.actor, pk)
    if not can_change(request.actor, activity):
        raise PermissionDenied("You may not change this activity.")
    services.set_pinned(actor=request.actor, activity=activity, pinned=request.POST.get("pinned") == "1")
    return redirect(_back(request, f"/activities/{activity.pk}/"))


@workspace_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_for(request.actor, pk)
    if not can_change(request.actor, activity):
        raise PermissionDenied("You may not delete this activity.")
    services.delete_activity(actor=request.actor, activity=activity)
    messages.success(request, "Activity moved to the recycle bin.")
    return redirect(_back(request, "/tasks/"))
