from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.contacts.models import Company, Contact, LifecycleStage
from rapport.sales.demo import load_demo
from rapport.sales.models import Deal, DealContact, DealStatus, Order, Quote, QuoteStatus
from rapport.sales.services import lines as line_services
from rapport.sales.services import quotes as quote_services


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _fill(acting, cast, deal, n):
    with acting(cast.sales, cast.workspace) as actor:
        for i in range(n):
            line_services.deal_line_add(actor=actor, deal=deal, data={"name": f"L{i}", "unit_price": Decimal("1")})
            deal.refresh_from_db()
            quote_services.quote_create(actor=actor, deal=deal)
            contact = Contact.objects.create(first_name=f"P{i}", last_name="X", owner=cast.sales)
            DealContact.objects.create(workspace=cast.workspace, deal=deal, contact=contact)


def test_the_deal_page_runs_a_fixed_number_of_queries(cast, acting, login, deal):
    client = login(cast.sales)
    url = reverse("sales:deal_detail", args=[deal.pk])
    _fill(acting, cast, deal, 1)
    few = _queries(client, url)
    _fill(acting, cast, deal, 6)
    assert _queries(client, url) == few


def test_every_sales_page_opens_with_demo_data(cast, acting, login):
    with acting(cast.owner, cast.workspace):
        load_demo(cast.workspace)
        deal = Deal.objects.filter(status=DealStatus.OPEN).first()
        quote = Quote.objects.first()
        order = Order.objects.first()
        pipeline = deal.pipeline
        stage = pipeline.stages.first()
    client = login(cast.owner)
    urls = [
        reverse("sales:board"),
        reverse("sales:pipeline_board", args=[pipeline.pk]),
        reverse("sales:deal_list"),
        reverse("sales:deal_create"),
        reverse("sales:deal_detail", args=[deal.pk]),
        reverse("sales:deal_edit", args=[deal.pk]),
        reverse("sales:deal_lost", args=[deal.pk]),
        reverse("sales:quote_list"),
        reverse("sales:quote_detail", args=[quote.pk]),
        reverse("sales:quote_edit", args=[quote.pk]),
        reverse("sales:quote_print", args=[quote.pk]),
        reverse("sales:order_list"),
        reverse("sales:order_create"),
        reverse("sales:order_detail", args=[order.pk]),
        reverse("sales:order_edit", args=[order.pk]),
        reverse("sales:product_list"),
        reverse("sales:product_create"),
        reverse("sales:forecast"),
        reverse("sales:forecast") + "?period=2026-05&by=team",
        reverse("sales:lead_inbox") + "?owner=all",
        reverse("sales:settings"),
        reverse("sales:pipeline_edit", args=[pipeline.pk]),
        reverse("sales:stage_delete", args=[stage.pk]),
    ]
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url


def test_the_quote_pdf_is_a_pdf_named_after_the_quote(cast, acting, login, deal):
    with acting(cast.sales, cast.workspace) as actor:
        quote = quote_services.quote_create(actor=actor, deal=deal)
    response = login(cast.sales).get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="{quote.reference}.pdf"' in response["Content-Disposition"]


def test_accepting_a_quote_on_its_page_wins_the_deal_and_shows_the_order(cast, acting, login, deal):
    with acting(cast.sales, cast.workspace) as actor:
        quote = quote_services.quote_create(actor=actor, deal=deal)
    client = login(cast.sales)
    response = client.post(reverse("sales:quote_accept", args=[quote.pk]), {"version": quote.version}, follow=True)
    assert "accepted" in response.content.decode()
    quote.refresh_from_db()
    deal.refresh_from_db()
    assert (quote.status, deal.status) == (QuoteStatus.ACCEPTED, DealStatus.WON)


def test_the_company_page_shows_open_deals_orders_and_balance(cast, acting, login, deal):
    with acting(cast.sales, cast.workspace) as actor:
        company = Company.objects.create(name="Panel Test Ltd", owner=cast.sales)
        deal.company = company
        deal.save()
        from rapport.sales.services.orders import order_create

        order_create(
            actor=actor,
            data={"company": company, "currency": "USD", "amount_paid": Decimal("40")},
            lines=[{"name": "Thing", "unit_price": Decimal("100")}],
        )
    body = login(cast.sales).get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert deal.name in body
    assert "USD 60.00" in body  # 100 ordered, 40 paid


def test_winning_a_deal_makes_its_company_and_contacts_customers(cast, acting, login, deal):
    with acting(cast.sales, cast.workspace):
        company = Company.objects.create(name="Soon Customer", owner=cast.sales_west)  # not the rep's to change
        contact = Contact.objects.create(first_name="Cy", last_name="Buyer", owner=cast.sales)
        deal.company = company
        deal.save()
        DealContact.objects.create(workspace=cast.workspace, deal=deal, contact=contact)
    login(cast.sales).post(reverse("sales:deal_won", args=[deal.pk]), {"won-version": deal.version})
    deal.refresh_from_db()
    company.refresh_from_db()
    contact.refresh_from_db()
    assert deal.status == DealStatus.WON
    assert company.lifecycle_stage == LifecycleStage.CUSTOMER
    assert contact.lifecycle_stage == LifecycleStage.CUSTOMER


def test_editing_a_deal_sets_its_tags_and_the_board_filters_by_them(cast, login, deal):
    client = login(cast.sales)
    form = client.get(reverse("sales:deal_edit", args=[deal.pk])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"tags": "Hot, Strategic", "name": "Renamed deal"})
    response = client.post(reverse("sales:deal_edit", args=[deal.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    from rapport.tags.models import Tag

    hot = Tag.objects.get(workspace=cast.workspace, name="Hot")
    board = client.get(reverse("sales:pipeline_board", args=[deal.pipeline_id]), {"tag": hot.pk}).content.decode()
    assert "Renamed deal" in board
    assert 'class="tag tag-grey">Hot<' in board


def test_the_deal_contact_picker_offers_the_companys_people_first_then_everyone_by_name(cast, acting, deal):
    from rapport.sales.forms import DealContactForm

    with acting(cast.owner, cast.workspace) as actor:
        acme = Company.objects.create(name="Acme", owner=cast.sales)
        deal.company = acme
        deal.save()
        Contact.objects.create(first_name="Zoe", last_name="Zed", company=acme, owner=cast.sales)
        Contact.objects.create(first_name="Yan", last_name="Young", company=acme, owner=cast.sales)
        Contact.objects.create(first_name="Ada", last_name="Abel", owner=cast.sales)
        Contact.objects.create(first_name="Bo", last_name="Berg", owner=cast.sales)
        field = DealContactForm(actor=actor, deal=deal).fields["contact"]
        names = [str(label) for value, label in field.choices if value]
        assert [n.split()[0] for n in names[:4]] == ["Yan", "Zoe", "Ada", "Bo"]
        field.limit = 3  # the company's people, then the others up to the limit
        assert [str(label).split()[0] for value, label in field.choices if value] == ["Yan", "Zoe", "Ada"]
        # without a company: everyone by name
        deal.company = None
        plain = DealContactForm(actor=actor, deal=deal).fields["contact"]
        assert [str(label).split()[0] for value, label in plain.choices if value][:2] == ["Ada", "Bo"]
