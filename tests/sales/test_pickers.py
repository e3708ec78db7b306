"""Record pickers: the combobox markup on the sales forms and its search endpoint."""

from __future__ import annotations

from django.urls import reverse

from rapport.sales.services.products import product_create
from tests.contacts.factories import make_company, make_contact


def test_the_picker_finds_visible_companies_by_a_typo(cast, login):
    make_company(cast.sales, cast.workspace, name="Initech Holdings")
    make_company(cast.sales_west, cast.workspace, name="Initrode West")  # not visible to the rep
    make_company(cast.outsider, cast.other_workspace, name="Initech Rival")
    client = login(cast.sales)
    body = client.get(reverse("sales:picker", args=["company"]), {"q": "initec", "for": "id_company-listbox"})
    text = body.content.decode()
    assert body.status_code == 200
    assert 'role="option"' in text and "Initech Holdings" in text
    assert "Initrode West" not in text and "Initech Rival" not in text
    assert 'id="id_company-listbox-' in text


def test_contacts_by_email_and_only_active_products(cast, acting, login):
    make_contact(cast.sales, cast.workspace, first_name="Dana", last_name="Scully", emails=["dana@fbi.example"])
    with acting(cast.owner, cast.workspace) as actor:
        product_create(actor=actor, data={"sku": "W-PRO", "name": "Widget Pro"}, prices={"USD": "10"})
        product_create(actor=actor, data={"sku": "W-OLD", "name": "Widget Old", "active": False}, prices={"USD": "10"})
    client = login(cast.sales)
    people = client.get(reverse("sales:picker", args=["contact"]), {"q": "dana@fbi.example"}).content.decode()
    assert "Dana Scully" in people
    products = client.get(reverse("sales:picker", args=["product"]), {"q": "widget"}).content.decode()
    assert "Widget Pro" in products and "Widget Old" not in products


def test_bad_input_is_answered_plainly(cast, login):
    client = login(cast.sales)
    assert client.get(reverse("sales:picker", args=["planet"]), {"q": "x"}).status_code == 404
    nothing = client.get(reverse("sales:picker", args=["company"]), {"q": "zzzqqq", "for": '"><script>'})
    assert "No match for “zzzqqq”" in nothing.content.decode()
    assert "<script>" not in nothing.content.decode()
    assert client.get(reverse("sales:picker", args=["company"]), {"q": ""}).content.decode().strip() == ""


def test_deal_and_quote_forms_render_an_accessible_combobox(cast, login, deal):
    client = login(cast.sales)
    form = client.get(reverse("sales:deal_create")).content.decode()
    assert 'role="combobox"' in form and 'aria-controls="id_company-listbox"' in form
    assert reverse("sales:picker", args=["company"]) in form and "sales/picker.js" in form
    detail = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert reverse("sales:picker", args=["product"]) in detail
    assert reverse("sales:picker", args=["contact"]) in detail
