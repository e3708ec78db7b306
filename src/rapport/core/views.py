from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from rapport.core import services
from rapport.core.decorators import workspace_required
from rapport.core.forms import WorkspaceCreateForm
from rapport.core.middleware import SESSION_KEY
from rapport.core.models import Membership, Workspace
from rapport.core.registry import registry
from rapport.core.roles import Role
from rapport.core.search import global_search


@workspace_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {})


@workspace_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    groups = global_search(request.actor, query)
    template = "core/search.html#results" if request.headers.get("HX-Request") else "core/search.html"
    return render(request, template, {"query": query, "groups": groups})


@login_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            base = slugify(form.cleaned_data["name"])[:50] or "workspace"
            slug, n = base, 1
            while Workspace.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            workspace = Workspace.objects.create(name=form.cleaned_data["name"], slug=slug)
            Membership.objects.create(user=request.user, workspace=workspace, role=Role.OWNER)
        request.session[SESSION_KEY] = workspace.pk
        request.user.last_workspace = workspace
        request.user.save(update_fields=["last_workspace"])
        messages.success(request, f"Workspace “{workspace.name}” created.")
        return redirect("core:home")
    return render(request, "core/workspace_create.html", {"form": form})


@login_required
@require_POST
def workspace_switch(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = Membership.objects.filter(user=request.user, workspace_id=workspace_id, is_active=True).first()
    if membership is None:
        raise Http404("No such workspace.")
    request.session[SESSION_KEY] = membership.workspace_id
    request.user.last_workspace_id = membership.workspace_id
    request.user.save(update_fields=["last_workspace"])
    messages.success(request, f"Switched to {membership.workspace.name}.")
    return redirect("core:home")


@workspace_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not actor.can("recycle_bin.restore"):
        raise PermissionDenied("Only owners and admins see the recycle bin.")
    groups = []
    for model in services.business_models():
        rows = list(
            model.all_objects.filter(deleted_at__isnull=False)
            .select_related("deleted_by")
            .order_by("-deleted_at")[:200]
        )
        if rows:
            routes = registry.restore_routes(actor, model, rows)
            for row in rows:
                row.restore_route = routes.get(row.pk)
            ct = ContentType.objects.get_for_model(model)
            groups.append({"label": model._meta.verbose_name_plural.capitalize(), "content_type": ct, "rows": rows})
    return render(
        request, "core/recycle_bin.html", {"groups": groups, "retention_days": actor.workspace.retention_days}
    )


@workspace_required
@require_POST
def recycle_bin_restore(request: HttpRequest, content_type_id: int, pk: int) -> HttpResponse:
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist:
        raise Http404("No such record type.") from None
    model = content_type.model_class()
    if model not in services.business_models():
        raise Http404("No such record type.")
    record = model.all_objects.filter(pk=pk, deleted_at__isnull=False).first()
    if record is None:
        raise Http404("No such record in the recycle bin.")
    try:
        services.record_restore(actor=request.actor, record=record)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Restored {model._meta.verbose_name} “{record}”.")
    return redirect("core:recycle_bin")


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", {}, status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", {}, status=500)
