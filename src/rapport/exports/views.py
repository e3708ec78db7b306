"""Export pages: the person's exports with their status and download links; the download itself."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rapport.core.decorators import workspace_required
from rapport.core.permissions import get_visible_or_404
from rapport.exports import services
from rapport.exports.models import ExportFormat, ExportRun, ExportStatus


def list_export_handler(request: HttpRequest, record_type: str, params) -> HttpResponse | None:
    """Called by the contacts list's export URL: Excel, vCard and large sets become an export run."""
    fmt = params.get("format") or ExportFormat.CSV
    actor = request.actor
    if not actor.can("records.export"):
        raise PermissionDenied("Your role may not export records.")
    ids = params.getlist("ids") if request.method == "POST" else []
    if fmt == ExportFormat.CSV and params.get("background") != "1":
        from rapport.contacts import bulk

        queryset = bulk.export_queryset(actor, services.MODELS[record_type], ids or None)
        if queryset[: services.inline_rows() + 1].count() <= services.inline_rows():
            return None  # small plain CSV: streamed at once by the list's own export
    try:
        run = services.export_request(
            actor=actor,
            record_type=record_type,
            format=fmt,
            filters=params.getlist("filter"),
            logic=params.get("logic") or "and",
            columns=[c for c in (params.get("columns") or "").split(",") if c],
            ids=ids,
            request=request,
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    if run.status == ExportStatus.DONE:
        return _file_response(run)
    return redirect("exports:detail", pk=run.pk)


def _file_response(run: ExportRun) -> FileResponse:
    if run.status != ExportStatus.DONE or not run.file:
        raise Http404("This export is not ready.")
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "vcf": "text/vcard; charset=utf-8",
    }[run.format]
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=run.file_name, content_type=content_type)


def own_export(actor, pk: int) -> ExportRun:
    """An export file holds what its requester could see: only they (and admins) open it."""
    run = get_visible_or_404(ExportRun, actor, pk)
    if run.owner_id != actor.user.pk and not actor.is_admin:
        raise Http404("No such export.")
    return run


@workspace_required
def export_list(request: HttpRequest) -> HttpResponse:
    if not request.actor.can("records.export"):
        raise PermissionDenied("Your role may not export records.")
    runs = services.visible_exports(request.actor).select_related("owner")[:50]
    return render(request, "exports/list.html", {"runs": runs})


@workspace_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = own_export(request.actor, pk)
    template = "exports/_status.html" if request.headers.get("HX-Request") else "exports/detail.html"
    return render(request, template, {"run": run})


@workspace_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    run = own_export(request.actor, pk)
    if run.status != ExportStatus.DONE:
        return redirect("exports:detail", pk=run.pk)
    return _file_response(run)
