"""The Duplicates page, the merge screen, undo, and the look-alike warning fragment for create forms."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.permissions import get_visible_or_404, visible
from rapport.duplicates import services
from rapport.duplicates.models import Merge


def _require_writer(request: HttpRequest) -> None:
    if not request.actor.can_write:
        raise PermissionDenied("Read-only members cannot merge records.")


def _record_type(request: HttpRequest) -> str:
    kind = request.GET.get("type") or request.POST.get("type") or "contact"
    if kind not in services.MODELS:
        raise Http404("No such record type.")
    return kind


@workspace_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    kind = _record_type(request)
    groups = services.scan(request.actor, kind, limit=100)
    merges = (
        visible(Merge.objects.all(), request.actor).filter(undone_at__isnull=True).select_related("content_type")[:10]
    )
    return render(request, "duplicates/list.html", {"groups": groups, "kind": kind, "merges": merges})


@workspace_required
def merge_view(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    kind = _record_type(request)
    source = request.POST if request.method == "POST" else request.GET
    ids = [int(i) for i in source.getlist("ids") if str(i).isdigit()]
    model = services.MODELS[kind]
    records = list(visible(model.objects.all(), request.actor).filter(pk__in=ids).order_by("pk"))
    if len(records) < 2:
        raise Http404("Choose two or more records you can see.")
    problems: list[str] = []
    if request.method == "POST":
        survivor = int(source.get("survivor") or records[0].pk)
        choices = {
            f: int(source[f"field-{f}"]) for f in services.MERGEABLE[kind] if source.get(f"field-{f}", "").isdigit()
        }
        try:
            merge = services.merge(
                actor=request.actor,
                record_type=kind,
                ids=[r.pk for r in records],
                survivor_id=survivor,
                choices=choices,
            )
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(
                request, f"Merged {len(records)} records. Undo it from the Duplicates page if this was a mistake."
            )
            url = "contacts:contact_detail" if kind == "contact" else "contacts:company_detail"
            return redirect(url, merge.survivor_id)
    rows = []
    for name in services.MERGEABLE[kind]:
        f = model._meta.get_field(name)
        values = [(r.pk, _display(r, name)) for r in records]
        if any(v for _, v in values):
            rows.append(
                {
                    "name": name,
                    "label": f.verbose_name.capitalize(),
                    "values": values,
                    "differ": len({v for _, v in values}) > 1,
                }
            )
    return render(
        request,
        "duplicates/merge.html",
        {"kind": kind, "records": records, "rows": rows, "problems": problems},
        status=400 if problems else 200,
    )


def _display(record, name: str) -> str:
    display = getattr(record, f"get_{name}_display", None)
    value = display() if display else getattr(record, name)
    return "" if value in (None, "") else str(value)


@workspace_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_visible_or_404(Merge, request.actor, pk, for_change=True)
    try:
        services.merge_undo(actor=request.actor, merge_record=merge)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The merge was undone: every record is back as it was.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)  # e.g. the recycle bin, where the undo was asked for
    kind = "company" if merge.content_type.model == "company" else "contact"
    return redirect(f"{_list_url()}?type={kind}")


def _list_url() -> str:
    from django.urls import reverse

    return reverse("duplicates:list")


@workspace_required
def lookalike_check(request: HttpRequest) -> HttpResponse:
    """HTMX fragment for create forms: existing records that look like the one being typed."""
    kind = _record_type(request)
    params = request.GET
    found = services.lookalikes(
        request.actor,
        kind,
        email=params.get("email", "") or params.get("emails-0-email", ""),
        first_name=params.get("first_name", ""),
        last_name=params.get("last_name", ""),
        name=params.get("name", ""),
        domain=params.get("domain", "") or params.get("domains", ""),
    )
    return render(request, "duplicates/_lookalikes.html", {"found": found, "kind": kind})
