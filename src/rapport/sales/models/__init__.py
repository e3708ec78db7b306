from rapport.sales.models.catalog import Product, ProductPrice
from rapport.sales.models.deals import Deal, DealContact, DealSource, DealStageChange, DealStatus, LineItem
from rapport.sales.models.documents import (
    NumberSequence,
    Order,
    OrderLine,
    OrderStatus,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from rapport.sales.models.leads import AssignmentRule, RuleField
from rapport.sales.models.pipelines import ForecastCategory, LostReason, Pipeline, Stage
from rapport.sales.models.quotas import PeriodKind, Quota

__all__ = [
    "AssignmentRule",
    "Deal",
    "DealContact",
    "DealSource",
    "DealStageChange",
    "DealStatus",
    "ForecastCategory",
    "LineItem",
    "LostReason",
    "NumberSequence",
    "Order",
    "OrderLine",
    "OrderStatus",
    "PeriodKind",
    "Pipeline",
    "Product",
    "ProductPrice",
    "Quota",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
    "RuleField",
    "Stage",
]
