"""The deal table: deals served by the contacts list engine (columns, filter language, saved views,
keyset pages, bulk actions, inline edit), not a second list implementation.

Sales describes its columns here (a :class:`rapport.contacts.listing.ListSpec`) and registers a
:class:`rapport.contacts.kinds.Kind`; ``sales/urls.py`` routes ``/deals/`` and its companions to the
views of ``rapport.contacts.list_views``.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse

from rapport.contacts import columns as cc
from rapport.contacts.listing import Column, ListSpec, SortKey, as_date, as_number, capped_count, keyset_page
from rapport.contacts.selectors import COUNT_BUDGET_MS, COUNT_CAP, ListQuery, ListResult, filtered
from rapport.core.models import Membership
from rapport.core.permissions import Actor, visible
from rapport.sales.models import Deal, DealSource, DealStatus
from rapport.sales.models.pipelines import ForecastCategory
from rapport.sales.money import CURRENCY_CHOICES, format_money
from rapport.tags.models import TaggedItem

DEAL_TYPE = "sales.deal"
BULK_ACTIONS = ("owner", "add_tags", "remove_tags", "delete")
# Shown as plain text, filtered like a record: by id (eq/ne/in) or by name (contains).
RECORD_OPERATORS = ("eq", "ne", "in", "contains", "is_empty", "is_not_empty")


@functools.cache
def _url(name: str) -> str:
    return reverse(name, args=[0])


def _link(record: Any, url_name: str) -> tuple[str, str] | None:
    if record is None or getattr(record, "deleted_at", None) is not None:
        return None
    return (str(record), _url(url_name).replace("/0/", f"/{record.pk}/", 1))


def _plain(attr: str):
    def display(deal: Deal) -> str:
        related = getattr(deal, attr)
        return str(related) if related is not None else ""

    return display


def deal_spec(actor: Actor) -> ListSpec:
    """Every field of a deal, custom ones included, with operators that fit its type."""
    from rapport.contacts import integration

    common = cc.common_columns(Deal, actor.workspace.default_region)
    columns: dict[str, Column] = {
        "name": Column(
            "name", "Name", "text", sort=(SortKey("name"),), q=cc.text_filter("name"), display=str, inline="name"
        ),
        "pipeline": Column(
            "pipeline",
            "Pipeline",
            "record",
            sort=(SortKey("_pipeline_name", expression=models.F("pipeline__name")),),
            q=cc.record_filter("pipeline_id", "pipeline__name"),
            display=lambda d: _link(d.pipeline, "sales:pipeline_board"),
        ),
        "stage": Column(
            "stage",
            "Stage",
            "text",
            operators=RECORD_OPERATORS,
            sort=(SortKey("_stage_position", expression=models.F("stage__position")),),
            q=cc.record_filter("stage_id", "stage__name"),
            display=_plain("stage"),
        ),
        "status": Column(
            "status",
            "Status",
            "choice",
            sort=(SortKey("status"),),
            q=cc.choice_filter("status", DealStatus.choices),
            choices=DealStatus.choices,
            display=cc.choice_label(DealStatus.choices, "status"),
        ),
        "amount": Column(
            "amount",
            "Amount",
            "number",
            sort=(SortKey("amount"),),
            q=cc.typed_filter("amount", as_number),
            display=lambda d: format_money(d.amount, d.currency),
            inline="amount",
        ),
        "currency": Column(
            "currency",
            "Currency",
            "choice",
            sort=(SortKey("currency"),),
            q=cc.choice_filter("currency", CURRENCY_CHOICES),
            choices=list(CURRENCY_CHOICES),
            display=lambda d: d.currency,
        ),
        "expected_close_date": Column(
            "expected_close_date",
            "Expected close",
            "date",
            sort=(SortKey("expected_close_date", nullable=True),),
            q=cc.typed_filter("expected_close_date", as_date),
            display=lambda d: d.expected_close_date.isoformat() if d.expected_close_date else "",
            inline="expected_close_date",
        ),
        "probability": Column(
            "probability",
            "Probability (%)",
            "number",
            sort=(SortKey("probability", nullable=True),),
            q=cc.typed_filter("probability", as_number),
            display=lambda d: "" if d.probability is None else d.probability,
            inline="probability",
        ),
        "forecast_category": Column(
            "forecast_category",
            "Forecast category",
            "choice",
            sort=(SortKey("forecast_category"),),
            q=cc.choice_filter("forecast_category", ForecastCategory.choices),
            choices=ForecastCategory.choices,
            display=cc.choice_label(ForecastCategory.choices, "forecast_category"),
            inline="forecast_category",
        ),
        "owner": common["owner"],
        "company": Column(
            "company",
            "Company",
            "record",
            sort=(SortKey("_company_name", nullable=True, expression=models.F("company__name")),),
            q=cc.record_filter("company_id", "company__name"),
            display=lambda d: _link(d.company, "contacts:company_detail"),
        ),
        "source": Column(
            "source",
            "Source",
            "choice",
            sort=(SortKey("source"),),
            q=cc.choice_filter("source", DealSource.choices),
            choices=DealSource.choices,
            display=cc.choice_label(DealSource.choices, "source"),
            inline="source",
        ),
        "next_step": Column(
            "next_step",
            "Next step",
            "text",
            sort=(SortKey("next_step"),),
            q=cc.text_filter("next_step"),
            display=lambda d: d.next_step,
            inline="next_step",
        ),
        "lost_reason": Column(
            "lost_reason",
            "Lost reason",
            "text",
            operators=RECORD_OPERATORS,
            sort=(SortKey("_lost_reason", nullable=True, expression=models.F("lost_reason__name")),),
            q=cc.record_filter("lost_reason_id", "lost_reason__name"),
            display=_plain("lost_reason"),
        ),
        "closed_at": Column(
            "closed_at",
            "Closed",
            "datetime",
            sort=(SortKey("closed_at", nullable=True),),
            q=cc.datetime_filter("closed_at"),
            display=lambda d: d.closed_at.strftime("%Y-%m-%d %H:%M") if d.closed_at else "",
        ),
        "tags": Column("tags", "Tags", "tags", q=cc.tags_filter(Deal), display=common["tags"].display),
        "created_at": common["created_at"],
        "updated_at": common["updated_at"],
        **cc.custom_columns(integration.definitions(DEAL_TYPE)),
    }
    defaults = ["name", "company", "stage", "status", "amount", "expected_close_date", "owner", "tags"]
    defaults += [k for k, c in columns.items() if c.definition is not None and c.definition.show_in_lists]
    return ListSpec("deal", columns, defaults, "-created_at")


def deal_table(actor: Actor, query: ListQuery, *, count: bool = True) -> ListResult:
    """One keyset page of deals (the joins a row shows, tags prefetched, a capped count)."""
    queryset = filtered(visible(Deal.objects.all(), actor), actor, query)
    rows = queryset.select_related("owner", "company", "pipeline", "stage", "lost_reason").prefetch_related(
        Prefetch("tagged_items", queryset=TaggedItem.objects.select_related("tag"), to_attr="prefetched_tags")
    )
    page = keyset_page(rows, query.sort, query.keys, query.cursor, query.size)
    counting = count and not query.cursor
    total, exact = capped_count(queryset, COUNT_CAP, COUNT_BUDGET_MS) if counting else (None, False)
    return ListResult(page=page, count=total, exact=exact, query=query)


def deal_table_update(
    *,
    actor: Actor,
    deal: Deal,
    data: dict[str, Any] | None = None,
    custom: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> bool:
    """An inline or bulk edit: the owner arrives as a user id and must be a member of the workspace."""
    from rapport.sales.services.deals import deal_update

    data = dict(data or {})
    if "owner" in data and not isinstance(data["owner"], models.Model):
        owner_id = data["owner"]
        if owner_id in (None, ""):
            data["owner"] = None
        else:
            member = Membership.objects.filter(workspace=actor.workspace, user_id=owner_id, is_active=True).exists()
            if not member:
                raise ValidationError({"owner": "Choose a member of this workspace as the owner."})
            data["owner"] = get_user_model().objects.get(pk=owner_id)
    return deal_update(actor=actor, deal=deal, data=data, custom=custom, expected_version=expected_version)


def register() -> None:
    """Serve deals with the contacts list views (called from SalesConfig.ready)."""
    from rapport.contacts.columns import register_spec
    from rapport.contacts.kinds import Kind, register_kind

    register_spec("deal", deal_spec)
    register_kind(
        Kind(
            key="deal",
            model=Deal,
            label="deal",
            label_plural="deals",
            list_fn=deal_table,
            update_fn=deal_table_update,
            record_arg="deal",
            form_class=None,
            related=("owner", "company", "pipeline", "stage"),
            namespace="sales",
            bulk_actions=BULK_ACTIONS,
            nav_template="sales/_nav.html",
            stylesheet="sales/sales.css",
        )
    )
