from __future__ import annotations

from decimal import Decimal

from rapport.sales.models import Deal, DealStageChange, Order, Quote
from tests.sales.factories import LostReasonFactory, PipelineFactory, ProductFactory

JSON = "application/json"


def _errors(response) -> dict[str, str]:
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["detail"] for e in response.json()["errors"]}


def test_a_deal_is_created_with_decimal_money_and_its_stage_default(cast, login, pipeline, stages):
    response = login(cast.sales).post(
        "/api/v1/deals/",
        {"name": "Api", "pipeline": pipeline.pk, "amount": "1234.50", "currency": "eur"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["currency"], body["stage"]) == ("1234.50", "EUR", stages[0].pk)
    assert body["weighted_amount"] == "123.45"
    assert response["ETag"] == f'"{body["version"]}"'


def test_bad_deal_input_names_each_field_and_saves_nothing(cast, login, pipeline):
    other = PipelineFactory(workspace=cast.workspace)
    client = login(cast.sales)
    cases = [
        ({"currency": "XYZ"}, "currency"),
        ({"expected_close_date": "next tuesday"}, "expected_close_date"),
        ({"stage": other.stages.first().pk}, "stage"),
        ({"amount": "-5"}, "amount"),
    ]
    for extra, field in cases:
        response = client.post("/api/v1/deals/", {"name": "Bad", "pipeline": pipeline.pk, **extra}, content_type=JSON)
        assert response.status_code == 400, (extra, response.content)
        assert field in _errors(response), (extra, response.json())
    assert not Deal.all_objects.filter(name="Bad").exists()


def test_the_move_action_honours_if_match(cast, login, deal, stages):
    client = login(cast.sales)
    url = f"/api/v1/deals/{deal.pk}/move/"
    moved = client.post(url, {"stage": stages[1].pk}, content_type=JSON, headers={"If-Match": f'"{deal.version}"'})
    assert moved.status_code == 200
    assert moved.json()["stage"] == stages[1].pk
    stale = client.post(url, {"stage": stages[2].pk}, content_type=JSON, headers={"If-Match": f'"{deal.version}"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == deal.version + 1
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    assert not DealStageChange.objects.filter(deal=deal, to_stage=stages[2]).exists()


def test_a_line_with_a_negative_quantity_is_refused(cast, login, deal):
    response = login(cast.sales).post(
        f"/api/v1/deals/{deal.pk}/lines/", {"name": "X", "unit_price": "1.00", "quantity": "-1"}, content_type=JSON
    )
    assert response.status_code == 400
    assert "quantity" in _errors(response)
    assert not deal.line_items.exists()


def test_losing_through_the_api_needs_a_reason_of_the_workspace(cast, login, deal):
    foreign = LostReasonFactory(workspace=cast.other_workspace)
    client = login(cast.sales)
    response = client.post(f"/api/v1/deals/{deal.pk}/lost/", {"lost_reason": foreign.pk}, content_type=JSON)
    assert response.status_code == 400
    assert "lost_reason" in _errors(response)
    reason = LostReasonFactory(workspace=cast.workspace)
    response = client.post(
        f"/api/v1/deals/{deal.pk}/lost/", {"lost_reason": reason.pk, "note": "Cheaper"}, content_type=JSON
    )
    assert response.json()["status"] == "lost"


def test_a_quote_from_the_api_is_numbered_and_accepting_it_creates_the_order(cast, login, deal):
    client = login(cast.sales)
    created = client.post("/api/v1/quotes/", {"deal": deal.pk}, content_type=JSON)
    assert created.status_code == 201, created.content
    quote = created.json()
    assert quote["reference"] == "Q-00001"
    accepted = client.post(f"/api/v1/quotes/{quote['id']}/accept/", content_type=JSON)
    assert accepted.json()["status"] == "accepted"
    assert Order.objects.get(quote_id=quote["id"]).total == Decimal(quote["total"])
    assert Deal.objects.get(pk=deal.pk).status == "won"
    assert Quote.objects.count() == 1


def test_products_carry_a_price_list(cast, login):
    response = login(cast.manager).post(
        "/api/v1/products/",
        {"sku": "P-1", "name": "Widget", "tax_rate": "7.50", "prices": [{"currency": "usd", "unit_price": "12.00"}]},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    assert response.json()["prices"] == [{"currency": "USD", "unit_price": "12.00"}]


def test_an_order_import_is_all_or_nothing(cast, login):
    product = ProductFactory(workspace=cast.workspace, prices={"EUR": "5.00"})
    body = {
        "orders": [
            {"currency": "EUR", "external_ref": "ERP-1", "lines": [{"product": product.pk, "quantity": "2"}]},
            {
                "currency": "EUR",
                "external_ref": "ERP-2",
                "lines": [{"name": "X", "unit_price": "1.00", "quantity": "-3"}],
            },
        ]
    }
    client = login(cast.sales)
    response = client.post("/api/v1/orders/import/", body, content_type=JSON)
    assert response.status_code == 400
    assert "rows[2].lines[1].quantity" in _errors(response)
    assert not Order.all_objects.exists()
    body["orders"].pop()
    response = client.post("/api/v1/orders/import/", body, content_type=JSON)
    assert response.status_code == 201
    assert response.json()[0]["total"] == "12.00"  # 2 x 5.00 + 20% tax


def test_the_forecast_endpoint_answers_per_owner_and_refuses_a_bad_period(cast, login):
    client = login(cast.manager)
    ok = client.get("/api/v1/forecast/", {"period": "2026-Q2", "by": "team"})
    assert ok.status_code == 200
    assert (ok.json()["start"], ok.json()["end"]) == ("2026-04-01", "2026-07-01")
    bad = client.get("/api/v1/forecast/", {"period": "spring"})
    assert bad.status_code == 400
    assert "period" in _errors(bad)


def test_a_rep_does_not_see_deals_of_another_team_in_the_api(cast, login, pipeline):
    from tests.sales.factories import DealFactory

    hidden = DealFactory(pipeline=pipeline, owner=cast.sales_west)
    client = login(cast.sales)
    assert client.get(f"/api/v1/deals/{hidden.pk}/").status_code == 404
    assert hidden.pk not in [d["id"] for d in client.get("/api/v1/deals/").json()["results"]]


def test_deal_tags_and_custom_values_go_through_the_api(cast, login, pipeline):
    from rapport.customfields.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(
        workspace=cast.workspace, record_type="sales.deal", key="budget_code", label="Budget code", field_type="text"
    )
    client = login(cast.sales)
    created = client.post(
        "/api/v1/deals/",
        {"name": "Tagged", "pipeline": pipeline.pk, "tags": ["Hot", "Q3"], "custom": {"budget_code": "BX-1"}},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    assert created.json()["tags"] == ["Hot", "Q3"]
    assert created.json()["custom"] == {"budget_code": "BX-1"}
    bad = client.patch(f"/api/v1/deals/{created.json()['id']}/", {"custom": {"nope": 1}}, content_type=JSON)
    assert bad.status_code == 400
