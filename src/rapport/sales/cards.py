"""Board cards rendered in Python: 2,000 template includes cost ~0.5 s, this costs ~20 ms.

The markup matches what board.js expects (``id``, ``data-version``, ``data-move-url``); every
value a person typed goes through ``escape``.
"""

from __future__ import annotations

from functools import cache
from html import escape as _escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

_MARK = 987654321


@cache
def _url_parts(name: str) -> tuple[str, str]:
    before, _, after = reverse(name, args=[_MARK]).partition(str(_MARK))
    return before, after


def escape(value: str) -> str:
    """HTML-escape text (the standard library's, several times faster than Django's lazy-aware one)."""
    return _escape(str(value), quote=True)


def _url(name: str, pk: int) -> str:
    before, after = _url_parts(name)
    return f"{before}{pk}{after}"


def card_html(card) -> SafeString:
    """One deal card (a ``selectors.Card``)."""
    name = escape(card.name)
    parts = [
        f'<article class="deal-card{" rotting" if card.rotting else ""}" id="deal-{card.pk}" '
        f'data-version="{card.version}" data-move-url="{_url("sales:deal_move", card.pk)}" aria-label="{name}">',
        f'<a class="deal-card-title" href="{_url("sales:deal_detail", card.pk)}">{name}</a>',
        f'<p class="deal-card-amount">{escape(card.currency)} {card.amount:,.2f}'
        + (f" · {escape(card.company_name)}" if card.company_name else "")
        + "</p>",
        f'<p class="muted deal-card-meta">{escape(card.owner_name) or "No owner"}'
        + (
            f" · closes {card.expected_close_date:%b} {card.expected_close_date.day}"
            if card.expected_close_date
            else ""
        )
        + "</p>",
    ]
    if card.rotting:
        parts.append(f'<p class="rot-flag">Rotting: {card.stage_days} days in stage</p>')
    if card.tags:
        tags = " ".join(f'<span class="{escape(t.css_class)}">{escape(t.name)}</span>' for t in card.tags)
        parts.append(f'<p class="deal-card-tags">{tags}</p>')
    parts.append("</article>")
    return mark_safe("".join(parts))


def cards_html(cards) -> SafeString:
    return mark_safe("".join(card_html(card) for card in cards))
