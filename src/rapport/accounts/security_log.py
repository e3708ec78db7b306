"""The security-log page and its CSV export (owners and admins only)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from rapport.accounts import selectors
from rapport.accounts.forms import SecurityLogFilterForm
from rapport.core.decorators import workspace_required
from rapport.core.security import SecurityKind, log_security_event

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ("time (UTC)", "event", "person", "IP address", "browser", "details")


def neutralise_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: leading = + - @ TAB CR get a ' in front."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def details_text(details: dict) -> str:
    return ", ".join(
        f"{key}: {json.dumps(value) if isinstance(value, (dict, list)) else value}"
        for key, value in (details or {}).items()
    )


def _filters(request: HttpRequest, actor) -> tuple[SecurityLogFilterForm, dict[str, Any] | None]:
    """The filter form and the filters it asks for; None when the filter is not valid."""
    form = SecurityLogFilterForm(request.GET or None, actor=actor)
    if not form.is_bound:
        return form, {}
    if not form.is_valid():
        return form, None
    user = form.cleaned_data["user"]
    return form, {"kind": form.cleaned_data["kind"] or None, "user_id": user.pk if user else None}


def _require_view(request: HttpRequest) -> None:
    if not request.actor.can("security_log.view"):
        raise PermissionDenied("Only owners and admins see the security log.")


@workspace_required
def security_log(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    actor = request.actor
    form, filters = _filters(request, actor)
    rows, next_cursor, next_url = [], None, None
    if filters is not None:
        after = selectors.Cursor.decode(request.GET.get("after"))
        rows, next_cursor = selectors.security_events_page(actor, after=after, **filters)
    if next_cursor is not None:
        params = {k: v for k, v in request.GET.items() if k != "after" and v}
        next_url = "?" + urlencode({**params, "after": next_cursor.encode()})
    export_params = {k: v for k, v in request.GET.items() if k in ("kind", "user") and v}
    context = {
        "form": form,
        "events": [{"event": row, "details": details_text(row.details)} for row in rows],
        "next_url": next_url,
        "is_first_page": "after" not in request.GET,
        "export_query": urlencode(export_params),
    }
    return render(request, "accounts/security_log.html", context)


def _csv_rows(queryset) -> Iterator[list[str]]:
    yield list(CSV_HEADER)
    for event in queryset.iterator(chunk_size=2000):
        yield [
            neutralise_cell(value)
            for value in (
                event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                event.kind,
                event.user.email if event.user_id and event.user else "",
                event.ip_address or "",
                event.user_agent,
                details_text(event.details),
            )
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


@workspace_required
def security_log_export(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    actor = request.actor
    form, filters = _filters(request, actor)
    if filters is None:
        return render(request, "accounts/security_log.html", {"form": form, "events": []}, status=400)
    log_security_event(
        SecurityKind.EXPORT,
        request=request,
        what="security_log",
        filter_kind=filters.get("kind"),
        filter_user_id=filters.get("user_id"),
    )
    queryset = selectors.security_events(actor, **filters)
    writer = csv.writer(_Echo())
    filename = f"security-log-{actor.workspace.slug}-{timezone.now():%Y%m%d}.csv"
    return StreamingHttpResponse(
        (writer.writerow(row) for row in _csv_rows(queryset)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
