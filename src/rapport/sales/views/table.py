"""The deal table's entry points: the list engine of rapport.contacts.list_views serves the page;
sales adds the board's old quick filters (``?pipeline=``, ``?status=``, ``?q=``) and the CSV export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from rapport.contacts import bulk, list_views, selectors
from rapport.contacts.listing import FilterError
from rapport.core.decorators import workspace_required
from rapport.core.permissions import visible
from rapport.core.security import SecurityKind, log_security_event
from rapport.sales.models import Deal

QUICK_FILTERS = {"pipeline": "pipeline:eq:{}", "status": "status:eq:{}", "q": "name:contains:{}"}


@workspace_required
def deal_list(request: HttpRequest) -> HttpResponse:
    """``/deals/``: links from the board (``?pipeline=3&status=open``) become filters of the list language."""
    quick = {k: request.GET[k].strip() for k in QUICK_FILTERS if request.GET.get(k, "").strip()}
    if quick:
        params = request.GET.copy()
        for key, value in quick.items():
            params.pop(key)
            params.appendlist("filter", QUICK_FILTERS[key].format(value))
        return redirect(f"{request.path}?{params.urlencode()}")
    return list_views.record_list(request, record_type="deal")


@workspace_required
def deal_export(request: HttpRequest) -> HttpResponse:
    """CSV of the selected deals (POST ids) or of the whole filtered list (GET with the list's params)."""
    actor = request.actor
    params = request.POST if request.method == "POST" else request.GET
    spec = selectors.list_spec("deal", actor)
    keys = [k.strip() for k in params.get("columns", "").split(",") if k.strip() in spec.columns]
    columns = list(dict.fromkeys(keys)) or list(spec.default_columns)
    if not actor.can("records.export"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Your role may not export records.")
    queryset = visible(Deal.objects.all(), actor).select_related("owner", "company", "pipeline", "stage")
    ids = params.getlist("ids") if request.method == "POST" else []
    if ids:
        queryset = queryset.filter(pk__in=[int(i) for i in ids if str(i).isdigit()])
    filters = params.getlist("filter")
    try:
        query = selectors.ListQuery.parse(spec, filters=filters, logic=params.get("logic"))
    except FilterError as exc:
        return HttpResponse(f"{exc.field}: {exc.detail}", status=400, content_type="text/plain; charset=utf-8")
    queryset = selectors.filtered(queryset, actor, query)
    log_security_event(
        SecurityKind.EXPORT,
        request=request,
        record_type="sales.deal",
        filters=filters,
        selected=len(ids),
        columns=columns,
    )
    response = StreamingHttpResponse(bulk.export_rows(spec, columns, queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="deals-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response
