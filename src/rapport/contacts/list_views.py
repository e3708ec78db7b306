"""Contact and company lists: columns, sort, filters, saved views, bulk actions, export, inline edit."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.contacts import bulk, integration, related_services, selectors
from rapport.contacts.forms import BLANK, member_choices
from rapport.contacts.kinds import KINDS, Kind
from rapport.contacts.listing import NO_VALUE, OPERATOR_LABELS, FilterError, ListSpec
from rapport.core.decorators import workspace_required
from rapport.core.models import ConflictError
from rapport.core.permissions import get_visible_or_404
from rapport.core.security import SecurityKind, log_security_event


def _kind(record_type: str) -> Kind:
    from django.http import Http404

    try:
        return KINDS[record_type]
    except KeyError:
        raise Http404("No such list.") from None


def _with(params: QueryDict, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    query = params.copy()
    query.pop("cursor", None)
    for key, value in changes.items():
        query.pop(key, None)
        if isinstance(value, list):
            query.setlist(key, value)
        elif value is not None:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


class _Urls:
    """Record URLs built by string substitution: reversing per cell costs more than the rest of a row."""

    def __init__(self, kind: Kind):
        self.detail = reverse(kind.url("detail"), args=[0]).replace("/0/", "/{pk}/", 1)
        self.cell = reverse(kind.url("cell"), args=[0, "FIELD"]).replace("/0/", "/{pk}/", 1).replace("FIELD", "{key}")

    def cell_for(self, record: Any, column: Any) -> dict[str, Any]:
        return {
            "column": column,
            "value": column.display(record),
            "url": self.detail.format(pk=record.pk) if column.key == "name" else None,
            "edit_url": self.cell.format(pk=record.pk, key=column.key) if column.inline else None,
        }


def _columns(spec: ListSpec, raw: str | list[str] | None) -> list[str]:
    keys = raw.split(",") if isinstance(raw, str) else list(raw or [])
    keys = [k.strip() for k in keys if k.strip() in spec.columns]
    return list(dict.fromkeys(keys)) or list(spec.default_columns)


def _column_links(params: QueryDict, columns: list[str]) -> list[dict]:
    links = []
    for index, key in enumerate(columns):
        left = columns[:]
        right = columns[:]
        if index > 0:
            left[index - 1], left[index] = left[index], left[index - 1]
        if index < len(columns) - 1:
            right[index + 1], right[index] = right[index], right[index + 1]
        links.append(
            {
                "key": key,
                "left": _with(params, columns=",".join(left)) if index > 0 else None,
                "right": _with(params, columns=",".join(right)) if index < len(columns) - 1 else None,
                "remove": _with(params, columns=",".join(c for c in columns if c != key)) if len(columns) > 1 else None,
            }
        )
    return links


@workspace_required
def record_list(request: HttpRequest, record_type: str) -> HttpResponse:
    kind = _kind(record_type)
    actor = request.actor
    params = request.GET
    if params.get("f_field"):
        # The "add a filter" form sends its three parts; fold them into one filter= and show the list.
        parts = [params["f_field"], params.get("f_op", "")]
        if params.get("f_op") not in NO_VALUE:
            parts.append(params.get("f_value", ""))
        rest = params.copy()
        for name in ("f_field", "f_op", "f_value", "cursor"):
            rest.pop(name, None)
        rest.appendlist("filter", ":".join(parts))
        return redirect(f"{request.path}?{rest.urlencode()}")
    spec = selectors.list_spec(kind.key, actor)
    saved = selectors.saved_views_for(actor, kind.key)
    view = next((v for v in saved if str(v.pk) == params.get("view")), None)
    explicit = params.get("explicit") == "1" or "filter" in params or view is None
    filters = params.getlist("filter") if explicit else list(view.filters)
    logic = params.get("logic") or (view.logic if view else "and")
    sort = params.get("sort") or (view.sort if view else "") or spec.default_sort
    columns = _columns(spec, params.get("columns") or (view.columns if view else None))
    if params.get("add_column") in spec.columns and params["add_column"] not in columns:
        columns.append(params["add_column"])
    # Every link on the page carries the whole state, so a link is the list exactly as seen.
    base = QueryDict(mutable=True)
    if view:
        base["view"] = str(view.pk)
    base["explicit"] = "1"
    base.setlist("filter", filters)
    base.update({"logic": logic, "sort": sort, "columns": ",".join(columns)})
    if params.get("page_size"):
        base["page_size"] = params["page_size"]
    error = None
    result = None
    try:
        query = selectors.ListQuery.parse(
            spec, filters=filters, logic=logic, sort=sort, cursor=params.get("cursor"), size=params.get("page_size")
        )
        result = kind.list_fn(actor, query)
    except FilterError as exc:
        error = exc
    chosen = [spec.columns[k] for k in columns]
    urls = _Urls(kind)
    rows = []
    if result:
        for record in result.page.rows:
            rows.append({"record": record, "cells": [urls.cell_for(record, c) for c in chosen]})
    filter_links = [{"text": f, "remove": _with(base, filter=[x for x in filters if x != f])} for f in filters]
    context = {
        "kind": kind,
        "spec": spec,
        "columns": chosen,
        "column_keys": ",".join(columns),
        "column_links": _column_links(base, columns),
        "addable": [c for k, c in spec.columns.items() if k not in columns],
        "rows": rows,
        "result": result,
        "error": error,
        "filters": filters,
        "filter_links": filter_links,
        "logic": logic,
        "sort": sort,
        "sort_links": {
            c.key: _with(base, sort=(f"-{c.key}" if sort == c.key else c.key)) for c in chosen if c.sortable
        },
        "next_url": (_with(base) + "&" + urlencode({"cursor": result.page.next_cursor}))
        if result and result.page.next_cursor
        else None,
        "first_url": _with(base) if params.get("cursor") else None,
        "operators": list(OPERATOR_LABELS.items()),
        "saved_views": saved,
        "active_view": view,
        "logic_links": {"and": _with(base, logic="and"), "or": _with(base, logic="or")},
        "base": base,
        "query_string": base.urlencode(),
        "members": member_choices(actor),
        "lifecycle_choices": spec.columns["lifecycle_stage"].choices if "lifecycle_stage" in spec.columns else [],
        "bulk_actions": kind.bulk_actions,
        "urls": {name: reverse(kind.url(name)) for name in ("list", "create", "bulk", "export", "view_save")},
        "can_export": actor.can("records.export"),
        "can_create": actor.can("records.create"),
    }
    template = "contacts/record_list.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        template += "#table"
    return render(request, template, context, status=400 if error else 200)


def _back(request: HttpRequest, kind: Kind) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(kind.url("list"))


@workspace_required
@require_POST
def record_bulk(request: HttpRequest, record_type: str) -> HttpResponse:
    kind = _kind(record_type)
    action = request.POST.get("action", "")
    value: Any = request.POST.get("value", "")
    if action == "owner":
        value = request.POST.get("owner", "")
    elif action == "lifecycle_stage":
        value = request.POST.get("lifecycle_stage", "")
    ids = request.POST.getlist("ids")
    try:
        changed = bulk.bulk_apply(
            actor=request.actor,
            model=kind.model,
            ids=ids,
            action=action,
            value=value,
            actions=kind.bulk_actions,
            update=lambda actor, record, data: kind.update(actor, record, data=data),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, f"{exc} Nothing was changed.")
    else:
        messages.success(request, f"{changed} {kind.label_plural if changed != 1 else kind.label} changed.")
    return redirect(_back(request, kind))


@workspace_required
def record_export(request: HttpRequest, record_type: str) -> HttpResponse:
    """CSV of the selected rows (POST ids) or of the whole filtered list (GET with the list's params)."""
    kind = _kind(record_type)
    actor = request.actor
    params = request.POST if request.method == "POST" else request.GET
    if bulk.export_handler is not None:
        handled = bulk.export_handler(request, kind.key, params)
        if handled is not None:
            return handled
    spec = selectors.list_spec(kind.key, actor)
    columns = _columns(spec, params.get("columns"))
    queryset = bulk.export_queryset(actor, kind.model, params.getlist("ids") if request.method == "POST" else None)
    filters = params.getlist("filter")
    try:
        query = selectors.ListQuery.parse(spec, filters=filters, logic=params.get("logic"))
    except FilterError as exc:
        return HttpResponse(f"{exc.field}: {exc.detail}", status=400, content_type="text/plain; charset=utf-8")
    queryset = selectors.filtered(queryset, actor, query)
    log_security_event(
        SecurityKind.EXPORT,
        request=request,
        record_type=kind.model._meta.label_lower,
        filters=filters,
        selected=len(params.getlist("ids")),
        columns=columns,
    )
    response = StreamingHttpResponse(bulk.export_rows(spec, columns, queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{kind.label_plural}-{stamp}.csv"'
    return response


@workspace_required
@require_POST
def saved_view_save(request: HttpRequest, record_type: str) -> HttpResponse:
    kind = _kind(record_type)
    post = request.POST
    try:
        view = related_services.saved_view_save(
            actor=request.actor,
            record_type=kind.key,
            name=post.get("name", ""),
            columns=[c for c in post.get("columns", "").split(",") if c],
            filters=post.getlist("filter"),
            logic=post.get("logic", "and"),
            sort=post.get("sort", ""),
            is_shared=post.get("is_shared") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_back(request, kind))
    messages.success(request, f"View “{view.name}” saved{' and shared' if view.is_shared else ''}.")
    return redirect(f"{reverse(kind.url('list'))}?view={view.pk}")


@workspace_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_for(request.actor, pk, for_change=True)
    kind = KINDS[view.record_type]
    related_services.saved_view_delete(actor=request.actor, view=view)
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect(kind.url("list"))


# --- inline edit of one cell ----------------------------------------------------------------------


def _cell_field(column: Any, actor: Any) -> django_forms.Field:
    if column.definition is not None:
        fields = integration.custom_form_fields([column.definition], actor)
        return next(iter(fields.values()))
    if column.key == "owner":
        return django_forms.ChoiceField(choices=member_choices(actor), required=False)
    if column.choices:
        return django_forms.ChoiceField(choices=BLANK + list(column.choices), required=False)
    if column.kind == "date":
        return django_forms.DateField(required=False, widget=django_forms.DateInput(attrs={"type": "date"}))
    if column.key == "name":
        return django_forms.CharField(max_length=200)
    return django_forms.CharField(max_length=300, required=False)


def _cell_initial(column: Any, record: Any) -> Any:
    if column.definition is not None:
        return integration.custom_initial([column.definition], record).get(column.definition.form_name)
    if column.key == "owner":
        return str(record.owner_id or "")
    return getattr(record, column.inline)


@workspace_required
def record_cell(request: HttpRequest, record_type: str, pk: int, field: str) -> HttpResponse:
    """GET: the cell as a small form. POST: save it with the version it was loaded at."""
    kind = _kind(record_type)
    actor = request.actor
    record = get_visible_or_404(kind.model, actor, pk, for_change=True)
    spec = selectors.list_spec(kind.key, actor)
    column = spec.columns.get(field)
    if column is None or not column.inline:
        from django.http import Http404

        raise Http404("This field cannot be edited inline.")
    form_class = type("CellForm", (django_forms.Form,), {"value": _cell_field(column, actor)})
    form_class.base_fields["version"] = django_forms.IntegerField(widget=django_forms.HiddenInput)
    status = 200
    conflict = None
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            value = form.cleaned_data["value"]
            kwargs: dict[str, Any] = {"expected_version": form.cleaned_data["version"]}
            if column.definition is not None:
                kwargs["custom"] = {column.definition.key: value}
            else:
                if column.key == "owner":
                    value = int(value) if value else None
                kwargs["data"] = {column.inline: value}
            try:
                kind.update(actor, record, **kwargs)
            except ConflictError:
                conflict = (
                    f"Someone changed this {kind.label} since you opened it; your value was not saved. "
                    "Cancel to see the current value, then edit again."
                )
                status = 409
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("value", message)
                status = 400
            else:
                record = get_visible_or_404(kind.model, actor, pk)
                if not _is_htmx(request):
                    messages.success(request, f"{column.label} saved.")
                    return redirect(kind.url("detail"), pk=record.pk)
                context = {"kind": kind, "record": record, "cell": _Urls(kind).cell_for(record, column)}
                return render(request, "contacts/record_list.html#cell_view", context)
        else:
            status = 400
    else:
        form = form_class(initial={"value": _cell_initial(column, record), "version": record.version})
    context = {
        "kind": kind,
        "record": record,
        "column": column,
        "form": form,
        "conflict": conflict,
        "cell_url": reverse(kind.url("cell"), args=[record.pk, column.key]),
        "cell_show_url": reverse(kind.url("cell_show"), args=[record.pk, column.key]),
        "detail_url": reverse(kind.url("detail"), args=[record.pk]),
    }
    if not _is_htmx(request):
        # Without HTMX (no JavaScript, a bookmark, a crawler) the form is a whole page, never a bare fragment.
        return render(request, "contacts/cell_page.html", context, status=status)
    # HTMX swaps only 2xx answers; the message is in the fragment.
    return render(request, "contacts/record_list.html#cell_form", context)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


@workspace_required
def record_cell_show(request: HttpRequest, record_type: str, pk: int, field: str) -> HttpResponse:
    """The cell's current value (the Cancel of an inline edit)."""
    kind = _kind(record_type)
    record = get_visible_or_404(kind.model, request.actor, pk)
    column = selectors.list_spec(kind.key, request.actor).columns.get(field)
    if column is None:
        from django.http import Http404

        raise Http404("No such field.")
    if not _is_htmx(request):
        return redirect(kind.url("detail"), pk=record.pk)
    context = {"kind": kind, "record": record, "cell": _Urls(kind).cell_for(record, column)}
    return render(request, "contacts/record_list.html#cell_view", context)
