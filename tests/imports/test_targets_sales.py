"""The deal import target: good file, per-row errors, dedupe / update, undo, the Salesforce fixture."""

from decimal import Decimal

import pytest

from rapport.contacts.models import Company
from rapport.imports import services
from rapport.imports.models import ImportItem, ImportStatus
from rapport.sales.models import Deal, DealStatus, Pipeline, Product
from rapport.sales.services import pipelines as pipeline_services
from rapport.search.models import SearchEntry
from tests.imports.conftest import FIXTURES

DEALS = (
    "Deal Name,Pipeline,Deal Stage,Amount,Close Date,Company,Deal Owner,Deal ID\n"
    'Big Widgets,Sales,Proposal,"12,500.50",2026-03-31,Analytical Engines,sales@acme.test,D-1\n'
    "Small Widgets,Sales,Qualified,900,31/01/2026,Analytical Engines,,D-2\n"
    "Old Win,Sales,Closed Won,3000,2025-12-01,,,D-3\n"
)


def _run(actor, name, content, **config):
    run = services.import_upload(actor=actor, file_name=name, content=content, target=config.pop("target", "deals"))
    if config:
        services.import_configure(actor=actor, run=run, **config)
    return run


def _execute(actor, run):
    services.import_start(actor=actor, run=run, background=False)
    return services.import_execute(actor=actor, run_id=run.pk)


@pytest.fixture
def sales_pipeline(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        return pipeline_services.ensure_standard_setup(actor=actor)


def test_hubspot_headers_are_suggested_and_a_good_file_imports(cast, acting, sales_pipeline):
    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, "deals.csv", DEALS.encode())
        assert run.mapping == {
            "Deal Name": "name",
            "Pipeline": "pipeline",
            "Deal Stage": "stage",
            "Amount": "amount",
            "Close Date": "close_date",
            "Company": "company",
            "Deal Owner": "owner_email",
            "Deal ID": "external_id",
        }
        assert run.dedupe_key == "external_id"
        report = services.import_dry_run(actor=actor, run=run)
        assert (report["created"], report["error"]) == (3, 0)
        assert Deal.objects.count() == 0 and Company.objects.count() == 0
        run = _execute(actor, run)
    assert (run.status, run.created_count, run.error_count) == (ImportStatus.DONE, 3, 0)
    big = Deal.objects.get(name="Big Widgets")
    assert big.amount == Decimal("12500.50") and big.stage.name == "Proposal" and big.is_open
    assert big.company.name == "Analytical Engines" and big.owner_id == cast.sales.pk
    assert str(big.expected_close_date) == "2026-03-31"
    assert Deal.objects.get(name="Small Widgets").company_id == big.company_id  # one company created, reused
    won = Deal.objects.get(name="Old Win")
    assert won.status == DealStatus.WON and won.closed_at is not None and not won.orders.exists()
    assert SearchEntry.objects.filter(title="Big Widgets").exists()
    assert big.stage_changes.count() == 1
    # 3 deals + the company created for linking
    assert ImportItem.objects.filter(run=run).count() == 4


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_half_written(cast, acting, sales_pipeline):
    data = (
        b"Opportunity Name,Stage,Amount,Pipeline,Probability\n"
        b"Good,Qualified,100,Sales,20\n"
        b"Unknown stage,Signed,100,Sales,20\n"
        b"Unknown pipeline,Qualified,100,Enterprise,20\n"
        b",Qualified,100,Sales,20\n"
        b"Bad amount,Qualified,lots,Sales,20\n"
        b"Negative,Qualified,-5,Sales,20\n"
        b"Too likely,Qualified,5,Sales,250\n"
    )
    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, "bad.csv", data)
        report = services.import_dry_run(actor=actor, run=run)
        assert (report["created"], report["error"]) == (1, 6)
        by_row = {e["row"]: e for e in report["errors"] if e["level"] == "error"}
        assert by_row[3]["column"] == "Stage" and "'Signed'" in by_row[3]["reason"]
        assert "Qualified" in by_row[3]["reason"]  # the known stages are named
        assert by_row[4]["column"] == "Pipeline" and "'Enterprise'" in by_row[4]["reason"]
        assert by_row[5]["column"] == "" and "no deal name" in by_row[5]["reason"]
        assert by_row[6]["column"] == "Amount" and "not a number" in by_row[6]["reason"]
        assert by_row[7]["column"] == "Amount"  # the model refuses a negative amount
        assert by_row[8]["column"] == "Probability"
        run = _execute(actor, run)
    assert (run.created_count, run.error_count) == (1, 6)
    assert list(Deal.objects.values_list("name", flat=True)) == ["Good"]
    assert Deal.objects.get().stage_changes.count() == 1


def test_no_pipeline_is_a_clear_error(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        report = services.import_dry_run(actor=actor, run=_run(actor, "d.csv", b"Deal Name\nLonely\n"))
    assert report["error"] == 1 and "no pipeline" in report["errors"][0]["reason"]


def test_dedupe_by_external_id_updates_and_undo_reverts(cast, acting, sales_pipeline):
    with acting(cast.owner, cast.workspace) as actor:
        first = _execute(actor, _run(actor, "deals.csv", DEALS.encode()))
        big = Deal.objects.get(name="Big Widgets")
        again = "Deal ID,Deal Name,Deal Stage,Amount\nD-1,Big Widgets,Negotiation,20000\nD-9,Brand new,Qualified,5\n"
        skip = _execute(actor, _run(actor, "again.csv", again.encode()))
        assert (skip.skipped_count, skip.created_count) == (1, 1)
        big.refresh_from_db()
        assert big.amount == Decimal("12500.50")
        update = _execute(actor, _run(actor, "again2.csv", again.encode(), dedupe_policy="update"))
        assert (update.updated_count, update.created_count) == (2, 0)  # D-9 was created by the skip run
        big.refresh_from_db()
        assert big.amount == Decimal("20000") and big.stage.name == "Negotiation"
        assert big.company.name == "Analytical Engines"  # not mapped: left alone
        result = services.import_undo(actor=actor, run=update)
        assert (result["removed"], result["reverted"], result["kept"]) == (0, 2, [])
        big.refresh_from_db()
        assert big.amount == Decimal("12500.50") and big.stage.name == "Proposal"
        assert Deal.objects.filter(name="Brand new").count() == 1  # created by the skip run: stays
        result = services.import_undo(actor=actor, run=first)
        # Big Widgets changed after the first import (the second one, even undone, moved it on):
        # it stays, and so does its company; the other two deals go.
        assert result["removed"] == 2 and len(result["kept"]) == 2
    assert set(Deal.objects.values_list("name", flat=True)) == {"Brand new", "Big Widgets"}
    assert list(Company.objects.values_list("name", flat=True)) == ["Analytical Engines"]
    assert not SearchEntry.objects.filter(title="Small Widgets").exists()


def test_dedupe_by_name_and_company(cast, acting, sales_pipeline):
    with acting(cast.owner, cast.workspace) as actor:
        _execute(actor, _run(actor, "deals.csv", DEALS.encode()))
        data = (
            "Deal Name,Company,Amount\n"
            "big widgets,Analytical Engines,1\n"  # same name, same company: the existing deal
            "Big Widgets,Difference Engines,2\n"  # same name, another company: a new deal
        )
        run = _execute(actor, _run(actor, "n.csv", data.encode(), dedupe_key="name", dedupe_policy="update"))
    assert (run.updated_count, run.created_count) == (1, 1)
    assert Deal.objects.filter(name__iexact="big widgets").count() == 2
    assert Deal.objects.get(company__name="Analytical Engines", name__iexact="big widgets").amount == Decimal("1")
    assert Deal.objects.get(company__name="Difference Engines").amount == Decimal("2")


def test_closed_won_update_is_reopened_on_undo(cast, acting, sales_pipeline):
    with acting(cast.owner, cast.workspace) as actor:
        _execute(actor, _run(actor, "deals.csv", DEALS.encode()))
        run = _execute(
            actor,
            _run(actor, "w.csv", b"Deal ID,Deal Name,Stage\nD-2,Small Widgets,Closed Won\n", dedupe_policy="update"),
        )
        assert Deal.objects.get(name="Small Widgets").status == DealStatus.WON
        services.import_undo(actor=actor, run=run)
    small = Deal.objects.get(name="Small Widgets")
    assert small.is_open and small.stage.name == "Qualified"


def test_the_api_and_the_wizard_accept_the_deal_target(cast, login, sales_pipeline):
    client = login(cast.owner)
    page = client.get("/imports/")
    assert b'<option value="deals">Deals</option>' in page.content
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("deals.csv", DEALS.encode(), "text/csv"), "target": "deals"},
        HTTP_X_WORKSPACE="acme",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target"] == "deals" and body["mapping"]["Deal Stage"] == "stage"


def test_the_salesforce_opportunity_fixture_imports_as_deals(cast, acting):
    content = (FIXTURES / "crm-exports/salesforce_dataloader_opportunities.csv").read_bytes()
    stages = ["Prospecting", "Id. Decision Makers", "Needs Analysis", "Value Proposition"]
    stages += ["Proposal/Price Quote", "Negotiation/Review"]
    with acting(cast.owner, cast.workspace) as actor:
        pipeline_services.pipeline_create(actor=actor, name="Salesforce", stages=[{"name": s} for s in stages])
        run = _run(actor, "salesforce_dataloader_opportunities.csv", content)
        assert run.mapping["NAME"] == "name" and run.mapping["STAGENAME"] == "stage"
        assert run.mapping["AMOUNT"] == "amount" and run.mapping["CLOSEDATE"] == "close_date"
        assert run.mapping["ID"] == "external_id" and run.mapping["ACCOUNTID"] == "company_external_id"
        run = _execute(actor, run)
    assert (run.created_count, run.error_count) == (38, 0)
    assert Deal.objects.count() == 38 and Pipeline.objects.get().deals.count() == 38
    assert Deal.objects.filter(status=DealStatus.WON).count() == 8  # the "Closed Won" rows
    george = Deal.objects.filter(name="George Foundation - 5000 Widgets").first()
    assert george.status == DealStatus.WON and george.amount == Decimal("500000.00")
    assert george.source == "advertising" and str(george.expected_close_date) == "2005-11-09"
    assert Deal.objects.filter(status=DealStatus.OPEN).exists()


# --- products -----------------------------------------------------------------------------------

PRODUCTS = (
    "Product Code,Product Name,List Price,Currency,Tax,Active\nW-1,Widget,10.50,EUR,19,yes\nG-1,Gadget,99,USD,7,no\n"
)


def test_products_import_with_prices_and_report_bad_rows(cast, acting):
    data = PRODUCTS + ",No sku,1,EUR,0,yes\nB-1,Bad price,cheap,EUR,0,yes\nT-1,Bad tax,1,EUR,150,yes\n"
    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, "p.csv", data.encode(), target="products")
        assert run.mapping["Product Code"] == "sku" and run.mapping["List Price"] == "price"
        assert run.dedupe_key == "sku"
        report = services.import_dry_run(actor=actor, run=run)
        assert (report["created"], report["error"]) == (2, 3)
        assert not Product.objects.exists()
        errors = {e["row"]: e for e in report["errors"]}
        assert "no SKU" in errors[4]["reason"]
        assert errors[5]["column"] == "List Price" and "not a number" in errors[5]["reason"]
        assert errors[6]["column"] == "Tax"
        run = _execute(actor, run)
    assert (run.created_count, run.error_count) == (2, 3)
    widget = Product.objects.get(sku="W-1")
    assert widget.price_in("EUR") == Decimal("10.50") and widget.tax_rate == Decimal("19") and widget.active
    assert not Product.objects.get(sku="G-1").active
    assert SearchEntry.objects.filter(title__contains="Widget").exists()


def test_products_dedupe_by_sku_update_and_undo(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        first = _execute(actor, _run(actor, "p.csv", PRODUCTS.encode(), target="products"))
        assert first.created_count == 2
        again = "SKU,Name,Price,Currency\nw-1,Widget Pro,12,USD\nN-1,New,5,EUR\n"
        update = _execute(actor, _run(actor, "u.csv", again.encode(), target="products", dedupe_policy="update"))
        assert (update.updated_count, update.created_count) == (1, 1)
        widget = Product.objects.get(sku="W-1")
        assert widget.name == "Widget Pro" and widget.price_in("USD") == Decimal("12")
        assert widget.price_in("EUR") == Decimal("10.50")  # other currencies are kept
        result = services.import_undo(actor=actor, run=update)
        assert (result["removed"], result["reverted"]) == (1, 1)
        widget = Product.objects.get(sku="W-1")
        assert widget.name == "Widget" and widget.price_in("USD") is None
        assert widget.price_in("EUR") == Decimal("10.50")
        assert not Product.objects.filter(sku="N-1").exists()
        skip = _execute(actor, _run(actor, "s.csv", again.encode(), target="products"))
        assert (skip.skipped_count, skip.created_count) == (1, 1)


def test_a_member_who_may_not_manage_products_gets_a_row_error(cast, acting):
    with acting(cast.sales, cast.workspace) as actor:
        run = _execute(actor, _run(actor, "p.csv", PRODUCTS.encode(), target="products"))
    assert (run.created_count, run.error_count) == (0, 2)
    assert "product catalogue" in run.errors[0]["reason"]
    assert not Product.objects.exists()


# --- orders -------------------------------------------------------------------------------------

ORDERS = (
    "Order Number,Order Date,SKU,Quantity,Total,Company,Status\n"
    "SO-1,2026-01-05,W-1,3,,Analytical Engines,open\n"
    "SO-2,2026-01-06,,,250.00,Analytical Engines,paid\n"
)


@pytest.fixture
def widget(cast, acting):
    from rapport.sales.services import products as product_services

    with acting(cast.owner, cast.workspace) as actor:
        currency = cast.workspace.default_currency
        return product_services.product_create(
            actor=actor, data={"sku": "W-1", "name": "Widget", "tax_rate": "10"}, prices={currency: "10.00"}
        )


def test_orders_import_with_a_line_or_a_total(cast, acting, widget):
    from rapport.sales.models import Order

    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, "o.csv", ORDERS.encode(), target="orders")
        assert run.mapping["Order Number"] == "external_ref" and run.mapping["SKU"] == "product_sku"
        assert run.mapping["Total"] == "total" and run.dedupe_key == "external_ref"
        report = services.import_dry_run(actor=actor, run=run)
        assert (report["created"], report["error"]) == (2, 0), report["errors"]
        assert not Order.objects.exists()
        run = _execute(actor, run)
    assert run.created_count == 2
    first = Order.objects.get(external_ref="SO-1")
    line = first.lines.get()
    assert (line.product_id, line.name, line.quantity, line.unit_price) == (widget.pk, "Widget", 3, Decimal("10.00"))
    assert first.subtotal == Decimal("30.00") and first.total == Decimal("33.00")  # the product's 10 % tax
    assert str(first.ordered_on) == "2026-01-05" and first.company.name == "Analytical Engines"
    second = Order.objects.get(external_ref="SO-2")
    assert second.total == Decimal("250.00") and second.status == "paid" and second.amount_paid == Decimal("250.00")
    assert second.company_id == first.company_id


def test_order_errors_dedupe_update_and_undo(cast, acting, widget):
    from rapport.sales.models import Order

    bad = (
        "Order Number,SKU,Quantity,Total,Status,Email\n"
        "SO-3,NOPE,1,,open,\n"
        "SO-4,,,lots,open,\n"
        "SO-5,,,10,shipped,\n"
        "SO-6,,,,open,\n"
        "SO-7,,,10,open,nobody@nowhere.test\n"
        "SO-8,,,-10,open,\n"
    )
    with acting(cast.owner, cast.workspace) as actor:
        run = _execute(actor, _run(actor, "bad.csv", bad.encode(), target="orders"))
        assert (run.created_count, run.error_count) == (0, 6)
        errors = {e["row"]: e for e in run.errors}
        assert errors[2]["column"] == "SKU" and "'NOPE'" in errors[2]["reason"]
        assert errors[3]["column"] == "Total" and "not a number" in errors[3]["reason"]
        assert errors[4]["column"] == "Status"
        assert "no line" in errors[5]["reason"]
        assert errors[6]["column"] == "Email"
        assert errors[7]["column"] == "Total"  # the line service refuses a negative price
        assert not Order.objects.exists()

        first = _execute(actor, _run(actor, "o.csv", ORDERS.encode(), target="orders"))
        update_file = "Order Number,Status,Total\nSO-1,invoiced,999\nSO-9,open,5\n"
        update = _execute(actor, _run(actor, "u.csv", update_file.encode(), target="orders", dedupe_policy="update"))
        assert (update.updated_count, update.created_count) == (1, 1)
        so1 = Order.objects.get(external_ref="SO-1")
        assert so1.status == "invoiced" and so1.total == Decimal("33.00")  # lines are never changed by an update
        result = services.import_undo(actor=actor, run=update)
        assert (result["removed"], result["reverted"], result["kept"]) == (1, 1, [])
        so1.refresh_from_db()
        assert so1.status == "open" and not Order.objects.filter(external_ref="SO-9").exists()
        skip = _execute(actor, _run(actor, "u.csv", update_file.encode(), target="orders"))
        assert (skip.skipped_count, skip.created_count) == (1, 1)
        services.import_undo(actor=actor, run=skip)
        result = services.import_undo(actor=actor, run=first)
        # SO-1 changed (and was put back) since: kept, with the company it points at; SO-2 goes
        assert result["removed"] == 1 and result["kept"][0] == f"order “{so1}” (row 2)" and len(result["kept"]) == 2
    assert list(Order.objects.values_list("external_ref", flat=True)) == ["SO-1"]
    assert list(Company.objects.values_list("name", flat=True)) == ["Analytical Engines"]
