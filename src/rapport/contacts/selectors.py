"""The only reads of companies and contacts: every list, record page, export and API call starts here.

Each selector starts from :func:`rapport.core.permissions.visible`, so what an actor cannot see
does not exist for them, and fetches its joins up front so a page runs a fixed number of queries
whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.http import Http404

from rapport.contacts import columns as column_specs
from rapport.contacts.listing import (
    Filter,
    ListSpec,
    Page,
    capped_count,
    filters_q,
    keyset_page,
    parse_filters,
    parse_logic,
    parse_sort,
)
from rapport.contacts.models import (
    Company,
    Contact,
    ContactCompanyHistory,
    ContactRole,
    Relationship,
    SavedView,
)
from rapport.core.permissions import Actor, visible
from rapport.tags.models import TaggedItem

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
COUNT_CAP = 1000
COUNT_BUDGET_MS = 15
COMPANY_CONTACTS_SHOWN = 50


def _tags_prefetch() -> Prefetch:
    # to_attr: a plain list per row. Without it Django builds a filtered queryset per row
    # (about 1 ms each on a 50-row page), see rapport.tags.services.current_tags.
    return Prefetch("tagged_items", queryset=TaggedItem.objects.select_related("tag"), to_attr="prefetched_tags")


def _rows_prefetch(name: str) -> Prefetch:
    return Prefetch(name, to_attr=f"prefetched_{name}")


def visible_contacts(actor: Actor) -> models.QuerySet:
    return visible(Contact.objects.all(), actor)


def visible_companies(actor: Actor) -> models.QuerySet:
    return visible(Company.objects.all(), actor)


@dataclass
class ListQuery:
    """What a list was asked for, already parsed (errors are raised as FilterError while parsing)."""

    spec: ListSpec
    filters: list[Filter]
    logic: str
    sort: str
    keys: list
    cursor: str | None
    size: int

    @classmethod
    def parse(
        cls,
        spec: ListSpec,
        *,
        filters: list[str] | None = None,
        logic: str | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        size: int | str | None = None,
    ) -> ListQuery:
        from rapport.contacts.listing import FilterError

        parsed_filters = parse_filters(spec, filters or [])
        sort_raw, keys = parse_sort(spec, sort)
        try:
            page_size = int(size) if size not in (None, "") else PAGE_SIZE
        except (TypeError, ValueError):
            raise FilterError("page_size", str(size), "Give a number of rows per page.") from None
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise FilterError("page_size", str(size), f"Rows per page go from 1 to {MAX_PAGE_SIZE}.")
        return cls(spec, parsed_filters, parse_logic(logic), sort_raw, keys, cursor or None, page_size)


@dataclass
class ListResult:
    page: Page
    count: int | None  # None: not counted (over the time budget)
    exact: bool
    query: ListQuery

    @property
    def count_label(self) -> str:
        if self.count is None:
            shown = len(self.page.rows)
            return f"{shown:,}+" if self.page.next_cursor else f"{shown:,}"  # "50+": at least this page
        return f"{self.count:,}" if self.exact else f"{self.count:,}+"


def filtered(queryset: models.QuerySet, actor: Actor, query: ListQuery) -> models.QuerySet:
    return queryset.filter(filters_q(query.spec, query.filters, query.logic, actor))


_RELATED_COLUMNS = {
    "owner": ("owner__id", "owner__full_name", "owner__email"),
    "company": ("company__id", "company__name", "company__deleted_at"),
    "parent": ("parent__id", "parent__name", "parent__deleted_at"),
}


def _list(
    base: models.QuerySet,
    actor: Actor,
    query: ListQuery,
    related: tuple[str, ...],
    count: bool,
    prefetch: tuple[Any, ...] = (),
) -> ListResult:
    queryset = filtered(base, actor, query)
    own_fields = [f.name for f in base.model._meta.concrete_fields]
    columns = [*own_fields, *(name for r in related for name in _RELATED_COLUMNS[r])]
    page = keyset_page(
        queryset.select_related(*related).only(*columns).prefetch_related(_tags_prefetch(), *prefetch),
        query.sort,
        query.keys,
        query.cursor,
        query.size,
    )
    # Deeper pages skip the count: the first page showed it, and it costs as much there as here.
    counting = count and not query.cursor
    total, exact = capped_count(queryset, COUNT_CAP, COUNT_BUDGET_MS) if counting else (None, False)
    return ListResult(page=page, count=total, exact=exact, query=query)


def contact_list(actor: Actor, query: ListQuery, *, count: bool = True, nested: bool = False) -> ListResult:
    """One page of contacts for the list or the API (keyset cursor, capped count).

    ``nested`` also fetches emails, phones and addresses (what the API shows per row).
    """
    prefetch = tuple(_rows_prefetch(n) for n in ("emails", "phones", "addresses")) if nested else ()
    return _list(visible_contacts(actor), actor, query, ("owner", "company"), count, prefetch)


def company_list(actor: Actor, query: ListQuery, *, count: bool = True, nested: bool = False) -> ListResult:
    prefetch = tuple(_rows_prefetch(n) for n in ("domains", "addresses")) if nested else ()
    return _list(visible_companies(actor), actor, query, ("owner", "parent"), count, prefetch)


def list_spec(record_type: str, actor: Actor) -> ListSpec:
    return column_specs.spec_for(record_type, actor)


def contact_detail_queryset(actor: Actor) -> models.QuerySet:
    """Contacts with everything their record page and the API show, in a fixed number of queries.

    Related contacts and companies are fetched with the row and checked in Python
    (:func:`visible_related`): a ``pk IN (visible contacts)`` subquery would read the whole table.
    """
    return (
        visible_contacts(actor)
        .select_related("owner", "company", "created_by")
        .prefetch_related(
            "emails",
            "phones",
            "addresses",
            Prefetch("past_companies", queryset=ContactCompanyHistory.objects.select_related("company")),
            Prefetch("roles", queryset=ContactRole.objects.select_related("company")),
            Prefetch("relationships_out", queryset=Relationship.objects.select_related("to_contact")),
            Prefetch("relationships_in", queryset=Relationship.objects.select_related("from_contact")),
            "consent_events",
            _tags_prefetch(),
        )
    )


def visible_related(actor: Actor, records: Any) -> list[Any]:
    """Keep the live related records (contacts, companies) the actor may see."""
    from rapport.core.permissions import can_view

    return [r for r in records if r is not None and r.deleted_at is None and can_view(actor, r)]


def contact_detail(actor: Actor, pk: Any) -> Contact:
    try:
        return contact_detail_queryset(actor).get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact.") from None


def company_detail_queryset(actor: Actor) -> models.QuerySet:
    return (
        visible_companies(actor)
        .select_related("owner", "parent", "created_by")
        .prefetch_related(
            "domains",
            "addresses",
            Prefetch("subsidiaries", queryset=Company.objects.select_related("owner").order_by("name", "id")),
            Prefetch("contact_roles", queryset=ContactRole.objects.select_related("contact")),
            _tags_prefetch(),
        )
    )


def company_detail(actor: Actor, pk: Any) -> Company:
    try:
        return company_detail_queryset(actor).get(pk=pk)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise Http404("No such company.") from None


def company_contacts(actor: Actor, company: Company, limit: int = COMPANY_CONTACTS_SHOWN) -> tuple[list[Contact], bool]:
    """The first contacts of a company (by name) and whether there are more."""
    rows = list(
        visible_contacts(actor)
        .filter(company=company)
        .select_related("owner")
        .order_by("last_name", "first_name", "id")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def company_choices(actor: Actor, limit: int = 500) -> models.QuerySet:
    """Companies a form may link to (by name); the form also accepts any visible id."""
    return visible_companies(actor).order_by("name", "id").only("id", "name")[:limit]


# --- saved views ----------------------------------------------------------------------------------


def saved_views_for(actor: Actor, record_type: str) -> list[SavedView]:
    """The actor's own views and the views shared with the workspace."""
    return list(
        SavedView.objects.filter(workspace_id=actor.workspace.pk, record_type=record_type)
        .filter(models.Q(created_by_id=actor.user.pk) | models.Q(is_shared=True))
        .select_related("created_by")
        .order_by("name", "id")
    )


def saved_view_for(actor: Actor, pk: Any, *, for_change: bool = False) -> SavedView:
    view = (
        next((v for v in SavedView.objects.filter(pk=pk) if _can_see_view(actor, v)), None)
        if str(pk).isdigit()
        else None
    )
    if view is None:
        raise Http404("No such saved view.")
    if for_change and not can_change_view(actor, view):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only the person who saved this view, or an admin, may change it.")
    return view


def _can_see_view(actor: Actor, view: SavedView) -> bool:
    return view.workspace_id == actor.workspace.pk and (view.is_shared or view.created_by_id == actor.user.pk)


def can_change_view(actor: Actor, view: SavedView) -> bool:
    return _can_see_view(actor, view) and (view.created_by_id == actor.user.pk or actor.is_admin)
