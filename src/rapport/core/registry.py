"""Small registries through which higher apps plug into lower ones.

``contacts`` never imports ``sales``: instead ``sales`` registers a record-page panel,
a navigation entry, a search provider. Each registry is a plain ordered list filled in
``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str = ""
    order: int = 100


@dataclass(frozen=True)
class RecordPanel:
    """A panel on a record page: ``render(actor, record) -> dict`` gives the template context."""

    key: str
    title: str
    record_types: tuple[str, ...]  # model labels, e.g. "contacts.contact"
    template: str
    context: Callable[[Any, Any], dict]
    order: int = 100


@dataclass(frozen=True)
class SearchProvider:
    """Finds records of one type: ``search(actor, query, limit) -> list[SearchHit]``."""

    key: str
    label: str
    search: Callable[[Any, str, int], list]
    order: int = 100


@dataclass(frozen=True)
class RestoreRoute:
    """Why a binned record must not be restored plainly, and the action that brings it back instead."""

    reason: str  # e.g. "Merged into Ada Lovelace"
    action_url: str  # a POST endpoint, e.g. the merge's undo
    action_label: str  # e.g. "Undo merge"


@dataclass(frozen=True)
class RestoreGuard:
    """Claims binned records that another app owns the way back for (a merge's losers, ...).

    ``claims(actor, model, rows) -> {pk: RestoreRoute}`` answers for a whole page of rows at once.
    """

    key: str
    claims: Callable[[Any, type, list], dict]


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    panels: list[RecordPanel] = field(default_factory=list)
    search: list[SearchProvider] = field(default_factory=list)
    restore_guards: list[RestoreGuard] = field(default_factory=list)

    def add_restore_guard(self, guard: RestoreGuard) -> None:
        if all(existing.key != guard.key for existing in self.restore_guards):
            self.restore_guards.append(guard)

    def restore_routes(self, actor: Any, model: type, rows: list) -> dict:
        routes: dict = {}
        for guard in self.restore_guards:
            for pk, route in guard.claims(actor, model, rows).items():
                routes.setdefault(pk, route)
        return routes

    def add_nav(self, item: NavItem) -> None:
        if all(existing.url_name != item.url_name for existing in self.nav):
            self.nav.append(item)
            self.nav.sort(key=lambda i: i.order)

    def add_panel(self, panel: RecordPanel) -> None:
        if all(existing.key != panel.key for existing in self.panels):
            self.panels.append(panel)
            self.panels.sort(key=lambda p: p.order)

    def panels_for(self, model_label: str) -> list[RecordPanel]:
        return [p for p in self.panels if model_label in p.record_types]

    def add_search(self, provider: SearchProvider) -> None:
        if all(existing.key != provider.key for existing in self.search):
            self.search.append(provider)
            self.search.sort(key=lambda p: p.order)


registry = Registry()
