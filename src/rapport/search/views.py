"""The command palette: live results under the topbar search box (Ctrl/⌘-K)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rapport.core.decorators import workspace_required
from rapport.search.query import search

PALETTE_LIMIT = 8


@workspace_required
def palette(request: HttpRequest) -> HttpResponse:
    """A listbox partial of the best hits for ``?q=`` (every hit re-checked by permissions)."""
    query = request.GET.get("q", "").strip()[:200]
    hits = search(request.actor, query, limit=PALETTE_LIMIT) if query else []
    return render(request, "search/_palette.html", {"query": query, "hits": hits})
