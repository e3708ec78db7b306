"""Global search for deals, products and quotes (through rapport.search's model providers)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from rapport.sales.models import Deal, Product, Quote


def describe_deal(deal: Deal) -> dict[str, Any]:
    return {
        "title": deal.name,
        "subtitle": f"{deal.get_status_display()} · {deal.currency} {deal.amount:,.2f}",
        "texts": [deal.next_step],
    }


def describe_product(product: Product) -> dict[str, Any]:
    return {"title": product.name, "subtitle": product.sku, "texts": [product.sku, product.description]}


def describe_quote(quote: Quote) -> dict[str, Any]:
    return {
        "title": f"{quote.reference} {quote.title}",
        "subtitle": f"{quote.get_status_display()} · {quote.currency} {quote.total:,.2f}",
        "texts": [quote.reference, str(quote.number)],
    }


DESCRIBE = {Deal: describe_deal, Product: describe_product, Quote: describe_quote}


def index(record: Any) -> None:
    """(Re)index one deal, product or quote; called by the services after a create or edit."""
    try:
        from rapport.search.index import index_record
    except ImportError:  # pragma: no cover - search is installed with sales
        return
    index_record(record, **DESCRIBE[type(record)](record))


def register() -> None:
    from rapport.search.providers import register_model_provider

    register_model_provider(
        Deal, "deal", "Deals", lambda d: reverse("sales:deal_detail", args=[d.pk]), describe=describe_deal, order=30
    )
    register_model_provider(
        Product,
        "product",
        "Products",
        lambda p: reverse("sales:product_edit", args=[p.pk]),
        permission_filter=lambda queryset, actor: queryset.filter(workspace_id=actor.workspace.pk),
        describe=describe_product,
        order=60,
    )
    register_model_provider(
        Quote,
        "quote",
        "Quotes",
        lambda q: reverse("sales:quote_detail", args=[q.pk]),
        describe=describe_quote,
        order=40,
    )
