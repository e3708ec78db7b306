"""Sales set-up pages: pipelines and stages, lost reasons, quotas, lead assignment rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.models import ConflictError
from rapport.core.replica import reports_on_replica
from rapport.sales import selectors
from rapport.sales.forms import (
    AssignmentRuleForm,
    LostReasonForm,
    PipelineDeleteForm,
    PipelineForm,
    QuotaForm,
    StageDeleteForm,
    StageForm,
)
from rapport.sales.models import AssignmentRule, Deal, LostReason, Quota, Stage
from rapport.sales.services import leads as lead_services
from rapport.sales.services import pipelines as pipeline_services
from rapport.sales.services import quotas as quota_services
from rapport.sales.views.common import posted_version, run_action


def _require(actor, capability: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied("Your role cannot change the sales set-up.")


@workspace_required
def settings_page(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    workspace = actor.workspace.pk
    pipelines = list(
        selectors.pipelines_for(actor).annotate(
            open_deals=Count("deals", filter=Q(deals__status="open", deals__deleted_at__isnull=True))
        )
    )
    stages = list(Stage.objects.filter(workspace_id=workspace).order_by("pipeline_id", "position", "id"))
    for pipeline in pipelines:
        pipeline.stage_list = [s for s in stages if s.pipeline_id == pipeline.pk]
    context = {
        "pipelines": pipelines,
        "lost_reasons": list(LostReason.objects.filter(workspace_id=workspace)),
        "quotas": list(Quota.objects.filter(workspace_id=workspace).select_related("user")[:200]),
        "rules": list(AssignmentRule.objects.filter(workspace_id=workspace).select_related("assign_to", "team")),
        "can_configure": actor.can("sales.configure"),
        "can_quota": actor.can("quotas.manage"),
        "pipeline_form": PipelineForm(prefix="pipeline"),
        "reason_form": LostReasonForm(prefix="reason"),
        "quota_form": QuotaForm(actor=actor, prefix="quota") if actor.can("quotas.manage") else None,
        "rule_form": AssignmentRuleForm(actor=actor, prefix="rule") if actor.can("sales.configure") else None,
    }
    return render(request, "sales/settings.html", context)


@workspace_required
@require_POST
def standard_setup(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "sales.configure")
    pipeline = pipeline_services.ensure_standard_setup(actor=actor)
    messages.success(request, f"Pipeline “{pipeline}” is ready.")
    return redirect("sales:pipeline_board", pk=pipeline.pk)


@workspace_required
@require_POST
def pipeline_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "sales.configure")
    form = PipelineForm(request.POST, prefix="pipeline")
    if form.is_valid():
        try:
            pipeline = pipeline_services.pipeline_create(actor=actor, name=form.cleaned_data["name"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Pipeline “{pipeline}” created with the standard stages: adjust them below.")
            return redirect("sales:pipeline_edit", pk=pipeline.pk)
    else:
        messages.error(request, "Give the pipeline a name.")
    return redirect("sales:settings")


@workspace_required
def pipeline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename the pipeline, change its stages' defaults, add and reorder stages."""
    actor = request.actor
    pipeline = get_object_or_404(selectors.pipelines_for(actor), pk=pk)
    can_configure = actor.can("sales.configure")
    if request.method == "POST":
        _require(actor, "sales.configure")
    form = PipelineForm(request.POST or None, initial={"name": pipeline.name, "version": pipeline.version})
    if request.method == "POST" and form.is_valid():
        try:
            pipeline_services.pipeline_update(
                actor=actor,
                pipeline=pipeline,
                data={"name": form.cleaned_data["name"]},
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Pipeline renamed.")
            return redirect("sales:pipeline_edit", pk=pipeline.pk)
    stages = list(
        Stage.objects.filter(workspace_id=actor.workspace.pk, pipeline=pipeline)
        .annotate(deal_count=Count("deals", filter=Q(deals__deleted_at__isnull=True)))
        .order_by("position", "id")
    )
    stage_forms = [
        (
            stage,
            StageForm(
                prefix=f"stage-{stage.pk}",
                initial={
                    "name": stage.name,
                    "probability": stage.probability,
                    "rotting_days": stage.rotting_days,
                    "forecast_category": stage.forecast_category,
                    "version": stage.version,
                },
            ),
        )
        for stage in stages
    ]
    context = {
        "pipeline": pipeline,
        "form": form,
        "stage_forms": stage_forms,
        "new_stage_form": StageForm(prefix="new", initial={"probability": 50, "forecast_category": "pipeline"}),
        "delete_form": PipelineDeleteForm(pipeline=pipeline),
        "can_configure": can_configure,
    }
    with reports_on_replica():  # analytics over the stage history: a replica's lag is harmless here
        context["stats"] = selectors.stage_stats(actor, pipeline)
        context["cycle_days"] = selectors.sales_cycle_days(actor, pipeline)
    return render(request, "sales/pipeline_edit.html", context)


@workspace_required
@require_POST
def pipeline_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    pipeline = get_object_or_404(selectors.pipelines_for(actor), pk=pk)
    _require(actor, "sales.configure")
    form = PipelineDeleteForm(request.POST, pipeline=pipeline)
    if not form.is_valid():
        messages.error(request, "Choose where the deals go.")
        return redirect("sales:pipeline_edit", pk=pipeline.pk)
    return run_action(
        request,
        lambda: pipeline_services.pipeline_delete(
            actor=actor,
            pipeline=pipeline,
            move_to=form.cleaned_data["move_to"],
            expected_version=form.cleaned_data["version"],
        ),
        success=f"Pipeline “{pipeline}” removed.",
        back="sales:settings",
    )


def _stage(actor, pk: int) -> Stage:
    return get_object_or_404(Stage.objects.filter(workspace_id=actor.workspace.pk), pk=pk)


@workspace_required
@require_POST
def stage_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    pipeline = get_object_or_404(selectors.pipelines_for(actor), pk=pk)
    _require(actor, "sales.configure")
    form = StageForm(request.POST, prefix="new")
    if not form.is_valid():
        messages.error(request, "The stage was not added: check its name and probability (0 to 100).")
        return redirect("sales:pipeline_edit", pk=pipeline.pk)
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    return run_action(
        request,
        lambda: pipeline_services.stage_create(actor=actor, pipeline=pipeline, data=data),
        success=f"Stage “{data['name']}” added.",
        back="sales:pipeline_edit",
        pk=pipeline.pk,
    )


@workspace_required
@require_POST
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    stage = _stage(actor, pk)
    _require(actor, "sales.configure")
    form = StageForm(request.POST, prefix=f"stage-{stage.pk}")
    if not form.is_valid():
        messages.error(request, f"“{stage}” was not saved: check its name and probability (0 to 100).")
        return redirect("sales:pipeline_edit", pk=stage.pipeline_id)
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    return run_action(
        request,
        lambda: pipeline_services.stage_update(
            actor=actor, stage=stage, data=data, expected_version=form.cleaned_data["version"]
        ),
        success=f"Stage “{data['name']}” saved.",
        back="sales:pipeline_edit",
        pk=stage.pipeline_id,
    )


@workspace_required
@require_POST
def stage_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a stage one place up or down (``direction``)."""
    actor = request.actor
    stage = _stage(actor, pk)
    _require(actor, "sales.configure")
    ids = list(stage.pipeline.stages.order_by("position", "id").values_list("pk", flat=True))
    index = ids.index(stage.pk)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        pipeline_services.stage_reorder(actor=actor, pipeline=stage.pipeline, stage_ids=ids)
    return redirect("sales:pipeline_edit", pk=stage.pipeline_id)


@workspace_required
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Removing a stage with deals asks where its deals go."""
    actor = request.actor
    stage = _stage(actor, pk)
    _require(actor, "sales.configure")
    deal_count = Deal.all_objects.filter(stage=stage).count()
    form = StageDeleteForm(request.POST or None, stage=stage, initial={"version": stage.version})
    if request.method == "POST" and form.is_valid():
        try:
            moved = pipeline_services.stage_delete(
                actor=actor,
                stage=stage,
                move_to=form.cleaned_data["move_to"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Stage “{stage}” removed; {moved} deal{'s' if moved != 1 else ''} moved.")
            return redirect("sales:pipeline_edit", pk=stage.pipeline_id)
    return render(request, "sales/stage_delete.html", {"stage": stage, "form": form, "deal_count": deal_count})


@workspace_required
@require_POST
def lost_reason_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "sales.configure")
    form = LostReasonForm(request.POST, prefix="reason")
    name = form.cleaned_data["name"] if form.is_valid() else ""
    return run_action(
        request,
        lambda: pipeline_services.lost_reason_create(actor=actor, name=name),
        success=f"Lost reason “{name}” added.",
        back="sales:settings",
    )


@workspace_required
@require_POST
def lost_reason_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    reason = get_object_or_404(LostReason.objects.filter(workspace_id=actor.workspace.pk), pk=pk)
    _require(actor, "sales.configure")
    return run_action(
        request,
        lambda: pipeline_services.lost_reason_update(
            actor=actor, reason=reason, data={"active": not reason.active}, expected_version=posted_version(request)
        ),
        success=f"“{reason}” is {'no longer' if reason.active else 'again'} offered.",
        back="sales:settings",
    )


@workspace_required
@require_POST
def quota_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "quotas.manage")
    form = QuotaForm(request.POST, actor=actor, prefix="quota")
    if not form.is_valid():
        messages.error(request, "The quota was not saved: fill in person, period, start and amount.")
        return redirect("sales:settings")
    return run_action(
        request,
        lambda: quota_services.quota_create(actor=actor, data=dict(form.cleaned_data)),
        success="Quota saved.",
        back="sales:settings",
    )


@workspace_required
@require_POST
def quota_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    quota = get_object_or_404(Quota.objects.filter(workspace_id=actor.workspace.pk), pk=pk)
    _require(actor, "quotas.manage")
    return run_action(
        request,
        lambda: quota_services.quota_delete(actor=actor, quota=quota, expected_version=posted_version(request)),
        success="Quota removed.",
        back="sales:settings",
    )


@workspace_required
@require_POST
def rule_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "sales.configure")
    form = AssignmentRuleForm(request.POST, actor=actor, prefix="rule")
    if not form.is_valid():
        messages.error(request, "The rule was not saved: give it a name.")
        return redirect("sales:settings")
    return run_action(
        request,
        lambda: lead_services.rule_create(actor=actor, data=dict(form.cleaned_data)),
        success="Assignment rule saved.",
        back="sales:settings",
    )


@workspace_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    rule = get_object_or_404(AssignmentRule.objects.filter(workspace_id=actor.workspace.pk), pk=pk)
    _require(actor, "sales.configure")
    return run_action(
        request,
        lambda: lead_services.rule_delete(actor=actor, rule=rule, expected_version=posted_version(request)),
        success="Assignment rule removed.",
        back="sales:settings",
    )
