"""Record pickers: an accessible combobox (type, arrow keys, Enter) over a plain <select>.

Without JavaScript the <select> works as it is (the first records by name plus the current one).
With it, ``sales/picker.js`` shows a text box whose typing asks ``sales:picker`` (HTMX) for the
best matches from global search, so a workspace of a million contacts is searched by index, with
every hit re-checked by the permission selectors.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse

from rapport.core.permissions import Actor

PICKER_TYPES = {"company": "company", "contact": "contact", "product": "product"}
MAX_HITS = 10
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class RecordPicker(forms.Select):
    """The widget of a record field: ``RecordPicker("company")``."""

    template_name = "sales/widgets/picker.html"

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None):
        if kind not in PICKER_TYPES:
            raise ValueError(f"No picker for {kind!r}.")
        self.kind = kind
        super().__init__(attrs)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["picker"] = {
            "url": f"{reverse('sales:picker', args=[self.kind])}?for={widget_id}-listbox",
            "input_id": f"{widget_id}-search",
            "listbox_id": f"{widget_id}-listbox",
            "kind": self.kind,
        }
        return context


def safe_listbox_id(raw: str) -> str:
    return raw if _SAFE_ID.match(raw or "") else "picker-listbox"


def picker_hits(actor: Actor, kind: str, text: str, limit: int = MAX_HITS) -> list[dict[str, Any]]:
    """The best matches of ``text`` among the records of ``kind`` the actor may see."""
    from rapport.search.query import search

    text = (text or "").strip()[:100]
    if not text:
        return []
    hits = search(actor, text, types=[PICKER_TYPES[kind]], limit=limit * 2 if kind == "product" else limit)
    if kind == "product":  # inactive products are found by search but cannot be added
        from rapport.sales.models import Product

        active = set(Product.objects.filter(pk__in=[h.id for h in hits], active=True).values_list("pk", flat=True))
        hits = [h for h in hits if h.id in active][:limit]
    return [{"id": h.id, "label": h.label, "detail": h.detail} for h in hits]
