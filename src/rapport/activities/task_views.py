"""My tasks, the team view, quick-add, complete / reopen; email from the record."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.activities import mail, selectors, services
from rapport.activities.forms import EmailForm, TaskForm
from rapport.activities.models import EmailMessage, EmailTemplate
from rapport.activities.views import _back, _errors
from rapport.core.decorators import workspace_required
from rapport.core.models import Membership
from rapport.core.permissions import can_change


def _members(actor):
    ids = Membership.objects.filter(workspace=actor.workspace, is_active=True).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=ids).order_by("email"))


def _shown(request: HttpRequest) -> str | None:
    """The section opened in full (``?show=overdue``); anything else shows every section's first rows."""
    wanted = request.GET.get("show")
    return wanted if wanted in selectors.SECTIONS else None


@workspace_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    buckets = selectors.my_tasks(actor, show=_shown(request))
    return render(
        request,
        "activities/my_tasks.html",
        {
            "buckets": buckets,
            "team": bool(selectors.team_user_ids(actor)) and (actor.is_admin or actor.managed_team_ids),
            "title": "My tasks",
        },
    )


@workspace_required
def team_tasks(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not (actor.is_admin or actor.managed_team_ids):
        raise PermissionDenied("Only managers and admins see the team's tasks.")
    buckets = selectors.my_tasks(actor, user_ids=selectors.team_user_ids(actor), show=_shown(request))
    return render(request, "activities/my_tasks.html", {"buckets": buckets, "team_view": True, "title": "Team tasks"})


@workspace_required
def task_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    target_type = request.POST.get("target_type") or request.GET.get("target_type") or ""
    target_id = request.POST.get("target_id") or request.GET.get("target_id") or ""
    record = selectors.target_record(actor, target_type, target_id) if target_type else None
    form = TaskForm(request.POST or None, members=_members(actor))
    errors: list[str] = []
    if request.method == "POST":
        if not actor.can_write:
            raise PermissionDenied("Your role may not add tasks.")
        if form.is_valid():
            try:
                services.create_task(
                    actor=actor,
                    data=form.service_data(actor.user.pk),
                    targets=[(target_type, record.pk)] if record else [],
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, "Task created.")
                return redirect(_back(request, selectors.record_url(record) if record else "/tasks/"))
    return render(
        request,
        "activities/task_form.html",
        {"form": form, "record": record, "target_type": target_type, "errors": errors, "next": _back(request, "")},
        status=400 if request.method == "POST" else 200,
    )


@workspace_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_for(request.actor, pk)
    following = services.complete_task(actor=request.actor, task=task)
    text = f"“{task.title}” done."
    if following is not None:
        text += f" Next one due {following.due_at:%Y-%m-%d}."
    messages.success(request, text)
    return redirect(_back(request, "/tasks/"))


@workspace_required
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_for(request.actor, pk)
    services.reopen_task(actor=request.actor, task=task)
    return redirect(_back(request, "/tasks/"))


@workspace_required
def email_compose(request: HttpRequest, contact_pk: int) -> HttpResponse:
    actor = request.actor
    contact = selectors.target_record(actor, "contacts.contact", contact_pk)
    templates = list(EmailTemplate.objects.filter(workspace_id=actor.workspace.pk))
    form = EmailForm(request.POST or None, templates=templates)
    problem = mail.consent_problem(contact)
    errors: list[str] = []
    if request.method == "POST":
        if not actor.can_write:
            raise PermissionDenied("Your role may not send email.")
        if form.is_valid():
            template = next((t for t in templates if t.pk == form.cleaned_data["template"]), None)
            try:
                mail.compose_email(
                    actor=actor,
                    contact=contact,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    template=template,
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, f"Email to {contact} queued; its status shows on the timeline.")
                return redirect(selectors.record_url(contact))
    return render(
        request,
        "activities/email_form.html",
        {"form": form, "contact": contact, "problem": problem, "errors": errors},
        status=400 if request.method == "POST" else 200,
    )


@workspace_required
@require_POST
def email_retry(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    activity = selectors.activity_for(actor, pk)
    if not can_change(actor, activity):
        raise PermissionDenied("You may not resend this email.")
    message = EmailMessage.objects.filter(activity=activity).first()
    if message is None:
        raise Http404("This activity is not an email.")
    try:
        mail.retry_email(actor=actor, message=message)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, "Email queued again.")
    return redirect(_back(request, f"/activities/{activity.pk}/"))
