"""The kanban board of a pipeline and the drag-and-drop move (the table view is rapport.sales.table)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.models import ConflictError
from rapport.sales import selectors
from rapport.sales.forms import BoardFilterForm, MoveForm
from rapport.sales.models import Pipeline
from rapport.sales.services.deals import deal_move_stage
from rapport.sales.views.common import error_text, is_htmx, posted_version


def _filters(request: HttpRequest, form: BoardFilterForm) -> selectors.DealFilters:
    if not form.is_valid():
        return selectors.DealFilters()
    data = form.cleaned_data
    return selectors.DealFilters(
        owner_id=data["owner"].pk if data.get("owner") else None,
        team_id=data["team"].pk if data.get("team") else None,
        close_from=data.get("close_from"),
        close_to=data.get("close_to"),
        tag_id=data.get("tag"),
    )


def _mark_rotting(deals: list[Any], now: datetime.datetime) -> None:
    for deal in deals:
        deal.rotting = deal.is_rotting(now)
        deal.stage_days = deal.days_in_stage(now)


@workspace_required
def board_redirect(request: HttpRequest) -> HttpResponse:
    """The Deals entry of the navigation: the first pipeline's board (or the set-up page)."""
    pipeline = selectors.pipelines_for(request.actor).first()
    if pipeline is None:
        return render(request, "sales/no_pipeline.html", {"can_configure": request.actor.can("sales.configure")})
    return redirect("sales:pipeline_board", pk=pipeline.pk)


@workspace_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    pipeline = get_object_or_404(selectors.pipelines_for(actor), pk=pk)
    form = BoardFilterForm(request.GET or None, actor=actor)
    columns = selectors.board(actor, pipeline, _filters(request, form))
    context = {
        "pipeline": pipeline,
        "pipelines": list(selectors.pipelines_for(actor)),
        "columns": columns,
        "form": form,
        "query": request.GET.urlencode(),
        "can_create": actor.can("records.create"),
        "can_configure": actor.can("sales.configure"),
    }
    return render(request, "sales/board.html", context)


@workspace_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to a stage. The board's script posts ``stage`` and ``version`` and gets back the
    card and both column headers; a stale version answers 409 and nothing moves."""
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    form = MoveForm(request.POST, deal=deal)
    old_stage_id = deal.stage_id
    status, problem = 200, ""
    if not form.is_valid():
        status, problem = 400, "Choose a stage to move the deal to."
    else:
        try:
            deal_move_stage(
                actor=actor, deal=deal, stage=form.cleaned_data["stage"], expected_version=posted_version(request)
            )
        except ConflictError:
            status = 409
            problem = (
                f"“{deal}” was moved or changed by someone else a moment ago; nothing was changed. Reload the board."
            )
        except ValidationError as exc:
            status, problem = 400, error_text(exc)
    if is_htmx(request):
        if problem:
            return HttpResponse(problem, status=status, content_type="text/plain; charset=utf-8")
        filters = _filters(request, BoardFilterForm(_board_query(request), actor=actor))
        columns = selectors.board_columns(actor, deal.pipeline, [old_stage_id, deal.stage_id], filters)
        card = selectors.Card.from_deal(deal)
        card.mark(deal.stage, timezone.now())
        return render(request, "sales/_move_result.html", {"deal": card, "columns": columns})
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, f"“{deal}” moved to {deal.stage}.")
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("sales:deal_detail", pk=deal.pk)


def _board_query(request: HttpRequest):
    from django.http import QueryDict

    return QueryDict(request.POST.get("filters", "").lstrip("?"))


def pipeline_url(pipeline: Pipeline) -> str:
    return reverse("sales:pipeline_board", kwargs={"pk": pipeline.pk})
