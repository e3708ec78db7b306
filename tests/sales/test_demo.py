from __future__ import annotations

from rapport.sales.demo import DEALS, load_demo
from rapport.sales.models import Deal, DealStageChange, Order, Quote


def test_the_demo_loads_deals_with_history_quotes_and_orders_once(cast, acting):
    with acting(cast.owner, cast.workspace):
        first = load_demo(cast.workspace)
        second = load_demo(cast.workspace)
        assert Deal.objects.count() == DEALS
        assert DealStageChange.objects.count() > DEALS
        assert Quote.objects.exists()
        assert Order.objects.exists()
    assert "150 deals" in first
    assert "already loaded" in second
