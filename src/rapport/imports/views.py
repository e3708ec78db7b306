"""The import wizard: upload → preview and mapping → dry run → start → progress → undo."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.permissions import can_change, get_visible_or_404, visible
from rapport.imports import services
from rapport.imports.mapping import TARGETS, field_choices
from rapport.imports.models import DedupePolicy, ImportRun, ImportStatus
from rapport.imports.readers import PREVIEW_ROWS

EDITABLE = (ImportStatus.UPLOADED, ImportStatus.VALIDATED)


def _require_importer(request: HttpRequest) -> None:
    if not request.actor.can("records.create"):
        raise PermissionDenied("Your role cannot import records.")


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for items in exc.message_dict.values() for m in items]
    return list(exc.messages)


@workspace_required
def import_list(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    actor = request.actor
    problems: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            problems.append("Choose a file to upload.")
        elif upload.size > services.max_bytes():
            problems.append(
                f"The file is {upload.size / 1_048_576:.1f} MB; the limit is {services.max_bytes() / 1_048_576:.0f} MB."
            )
        else:
            target = request.POST.get("target") or None
            try:
                run = services.import_upload(actor=actor, file_name=upload.name, content=upload.read(), target=target)
            except ValidationError as exc:
                problems.extend(_errors(exc))
            else:
                return redirect("imports:detail", pk=run.pk)
    runs = visible(ImportRun.objects.defer("content"), actor).select_related("owner")[:50]
    return render(
        request,
        "imports/list.html",
        {
            "runs": runs,
            "problems": problems,
            "targets": [(k, v[0]) for k, v in TARGETS.items()],
            "limit_mb": services.max_bytes() // 1_048_576,
            "can_export": actor.can("records.export"),
        },
        status=400 if problems else 200,
    )


def _detail_context(run: ImportRun, actor, report=None, problems=None) -> dict:
    context = {"run": run, "report": report, "problems": problems or [], "can_change": can_change(actor, run)}
    if run.status in EDITABLE:
        table = services.load_table(run)
        choices = field_choices(run.target)
        context.update(
            columns=[
                {
                    "index": i,
                    "header": header,
                    "selected": run.mapping.get(header, ""),
                    "samples": [r[i] for r in table.rows[:PREVIEW_ROWS] if i < len(r) and r[i].strip()][:3],
                }
                for i, header in enumerate(run.headers)
            ],
            choices=choices,
            targets=[(k, v[0]) for k, v in TARGETS.items()],
            dedupe_keys=services.DEDUPE_KEYS[run.target],
            policies=DedupePolicy.choices,
            preview=table.rows[:PREVIEW_ROWS],
        )
    context["progress"] = services.progress_of(run)
    return context


@workspace_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    run = get_visible_or_404(ImportRun, actor, pk, for_change=request.method == "POST")
    report = None
    problems: list[str] = []
    if request.method == "POST":
        if not can_change(actor, run):
            raise PermissionDenied("You may not change this import.")
        mapping = {h: request.POST.get(f"map-{i}", "") for i, h in enumerate(run.headers)}
        target = request.POST.get("target") or run.target
        try:
            if target != run.target:
                services.import_configure(actor=actor, run=run, target=target)
            else:
                services.import_configure(
                    actor=actor,
                    run=run,
                    mapping=mapping,
                    dedupe_key=request.POST.get("dedupe_key", ""),
                    dedupe_policy=request.POST.get("dedupe_policy") or DedupePolicy.SKIP,
                    tags=[t for t in request.POST.get("tags", "").split(",") if t.strip()],
                )
                if request.POST.get("action") == "dry_run":
                    report = services.import_dry_run(actor=actor, run=run)
                elif request.POST.get("action") == "start":
                    services.import_start(actor=actor, run=run)
                    messages.success(request, "The import is running; you may leave this page.")
                    return redirect("imports:detail", pk=run.pk)
        except ValidationError as exc:
            problems = _errors(exc)
        run.refresh_from_db()
    return render(
        request, "imports/detail.html", _detail_context(run, actor, report, problems), status=400 if problems else 200
    )


@workspace_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(ImportRun, request.actor, pk)
    return render(
        request,
        "imports/_progress.html",
        {"run": run, "progress": services.progress_of(run), "can_change": can_change(request.actor, run)},
    )


@workspace_required
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(ImportRun, request.actor, pk)
    body = services.errors_csv(run.errors if run.status not in EDITABLE else run.dry_run_errors)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response


@workspace_required
@require_POST
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(ImportRun, request.actor, pk, for_change=True)
    if not can_change(request.actor, run):
        raise PermissionDenied("You may not undo this import.")
    try:
        result = services.import_undo(actor=request.actor, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, f"Import undone: {result['removed']} records removed, {result['reverted']} put back.")
    return redirect("imports:detail", pk=run.pk)
