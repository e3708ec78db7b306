"""The search endpoint of the record pickers (rapport.sales.pickers)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rapport.core.decorators import workspace_required
from rapport.sales.pickers import PICKER_TYPES, picker_hits, safe_listbox_id


@workspace_required
def picker(request: HttpRequest, kind: str) -> HttpResponse:
    """``?q=`` → up to ten ``<li role="option">`` for the combobox's listbox (HTMX swaps them in)."""
    if kind not in PICKER_TYPES:
        raise Http404("No such picker.")
    query = request.GET.get("q", "").strip()
    context = {
        "hits": picker_hits(request.actor, kind, query),
        "q": query,
        "listbox_id": safe_listbox_id(request.GET.get("for", "")),
    }
    return render(request, "sales/widgets/picker_options.html", context)
