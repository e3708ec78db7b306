from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rapport.core.models import ConflictError
from rapport.sales.models import LineItem, Product
from rapport.sales.money import LineAmounts
from rapport.sales.services import deals as deal_services
from rapport.sales.services import lines as line_services
from rapport.sales.services import products as product_services
from tests.sales.factories import ProductFactory


def test_a_line_is_quantity_times_price_less_discount_plus_tax():
    figures = LineAmounts.compute(
        quantity=Decimal("3"), unit_price=Decimal("19.99"), discount_percent=Decimal("10"), tax_rate=Decimal("20")
    )
    assert figures.subtotal == Decimal("59.97")
    assert figures.discount == Decimal("6.00")
    assert figures.net == Decimal("53.97")
    assert figures.tax == Decimal("10.79")
    assert figures.total == Decimal("64.76")


def test_the_deal_amount_follows_its_lines(cast, acting, deal):
    product = ProductFactory(workspace=cast.workspace, prices={"USD": "250.00"})
    with acting(cast.sales, cast.workspace) as actor:
        line_services.deal_line_add(actor=actor, deal=deal, data={"product": product, "quantity": Decimal("2")})
        line_services.deal_line_add(
            actor=actor, deal=deal, data={"name": "Setup", "unit_price": Decimal("100"), "discount_percent": 50}
        )
    deal.refresh_from_db()
    assert deal.amount == Decimal("550.00")
    line = deal.line_items.get(product=product)
    assert (line.name, line.unit_price, line.tax_rate) == (product.name, Decimal("250.00"), product.tax_rate)


def test_removing_a_line_updates_the_amount(cast, acting, deal):
    with acting(cast.sales, cast.workspace) as actor:
        first = line_services.deal_line_add(actor=actor, deal=deal, data={"name": "A", "unit_price": Decimal("10")})
        line_services.deal_line_add(actor=actor, deal=deal, data={"name": "B", "unit_price": Decimal("5")})
        line_services.deal_line_remove(actor=actor, deal=deal, line=first)
    deal.refresh_from_db()
    assert deal.amount == Decimal("5.00")
    assert not LineItem.objects.filter(pk=first.pk).exists()


def test_a_negative_quantity_is_refused_and_nothing_is_saved(cast, acting, deal):
    amount = deal.amount
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        line_services.deal_line_add(
            actor=actor, deal=deal, data={"name": "A", "unit_price": Decimal("10"), "quantity": Decimal("-2")}
        )
    assert error.value.message_dict["quantity"] == ["The quantity cannot be negative."]
    deal.refresh_from_db()
    assert deal.amount == amount
    assert not deal.line_items.exists()


def test_a_product_without_a_price_in_the_deal_currency_needs_a_typed_price(cast, acting, deal):
    product = ProductFactory(workspace=cast.workspace, prices={"EUR": "80.00"})
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        line_services.deal_line_add(actor=actor, deal=deal, data={"product": product})
    assert "no price in USD" in error.value.message_dict["unit_price"][0]


def test_the_amount_of_a_deal_with_lines_cannot_be_typed(cast, acting, deal):
    with acting(cast.sales, cast.workspace) as actor:
        line_services.deal_line_add(actor=actor, deal=deal, data={"name": "A", "unit_price": Decimal("10")})
        deal.refresh_from_db()
        with pytest.raises(ValidationError) as error:
            deal_services.deal_update(actor=actor, deal=deal, data={"amount": Decimal("99")})
    assert "follows its line items" in error.value.message_dict["amount"][0]


def test_a_line_added_to_a_stale_deal_is_refused(cast, acting, deal):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ConflictError):
        line_services.deal_line_add(
            actor=actor, deal=deal, data={"name": "A", "unit_price": Decimal("1")}, expected_version=deal.version - 1
        )


def test_a_manager_creates_a_product_with_prices_per_currency(cast, acting):
    with acting(cast.manager, cast.workspace) as actor:
        product = product_services.product_create(
            actor=actor,
            data={"sku": "WID-1", "name": "Widget", "tax_rate": Decimal("7.5")},
            prices={"usd": "12.50", "EUR": Decimal("11")},
        )
    assert product.price_in("USD") == Decimal("12.50")
    assert product.price_in("EUR") == Decimal("11.00")


def test_a_product_price_in_an_unknown_currency_is_refused(cast, acting):
    with acting(cast.manager, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        product_services.product_create(actor=actor, data={"sku": "W", "name": "W"}, prices={"ABC": "1"})
    assert "prices" in error.value.message_dict
    assert not Product.all_objects.filter(sku="W").exists()


def test_two_products_cannot_share_a_sku(cast, acting):
    ProductFactory(workspace=cast.workspace, sku="DUP-1")
    with acting(cast.manager, cast.workspace) as actor, pytest.raises(ValidationError):
        product_services.product_create(actor=actor, data={"sku": "dup-1", "name": "Other"})


def test_a_sales_rep_cannot_change_the_catalogue(cast, acting):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(PermissionDenied):
        product_services.product_create(actor=actor, data={"sku": "X", "name": "X"})


def test_replacing_the_price_list_moves_the_product_version(cast, acting):
    product = ProductFactory(workspace=cast.workspace)
    version = product.version
    with acting(cast.manager, cast.workspace) as actor:
        changed = product_services.product_update(
            actor=actor, product=product, data={}, prices={"USD": "120.00"}, expected_version=version
        )
    product.refresh_from_db()
    assert changed
    assert product.version == version + 1
    assert [(p.currency, p.unit_price) for p in product.prices.all()] == [("USD", Decimal("120.00"))]


def test_a_line_is_edited_and_removed_from_the_deal_page(cast, acting, login, deal):
    from django.urls import reverse

    from rapport.core.scoping import workspace_scope
    from rapport.sales.models import Deal

    with acting(cast.sales, cast.workspace) as actor:
        line = line_services.deal_line_add(
            actor=actor, deal=deal, data={"name": "Seats", "unit_price": Decimal("100"), "quantity": Decimal("2")}
        )
    client = login(cast.sales)
    page = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    edit_url = reverse("sales:deal_line_edit", args=[deal.pk, line.pk])
    assert edit_url in page
    form = client.get(edit_url)
    assert form.status_code == 200 and 'value="Seats"' in form.content.decode()
    with workspace_scope(cast.workspace.pk):
        version = Deal.objects.get(pk=deal.pk).version
    fields = {"line-name": "Seats", "line-quantity": "3", "line-unit_price": "100", "line-discount_percent": ""}
    negative = client.post(edit_url, {**fields, "line-quantity": "-1", "line-version": version})
    assert negative.status_code == 400 and "quantity" in negative.content.decode().lower()
    saved = client.post(edit_url, {**fields, "line-tax_rate": "", "line-version": version})
    assert saved.status_code == 302
    with workspace_scope(cast.workspace.pk):
        fresh = Deal.objects.get(pk=deal.pk)
        assert fresh.amount == Decimal("300.00")
        assert LineItem.objects.get(pk=line.pk).quantity == Decimal("3")
    stale = client.post(edit_url, {**fields, "line-quantity": "9", "line-version": version})
    assert stale.status_code == 400 and "Reload the deal" in stale.content.decode()
    removed = client.post(reverse("sales:deal_line_remove", args=[deal.pk, line.pk]), {"version": fresh.version})
    assert removed.status_code == 302
    with workspace_scope(cast.workspace.pk):
        assert not LineItem.objects.filter(pk=line.pk).exists()
