"""Permission-matrix rows for every sales URL (see tests/matrix/__init__.py).

Deals, quotes and orders are owned records: who sees them follows ownership (``view_status``).
Pipelines, stages, products and the rest of the set-up belong to the workspace: every member
sees them (``workspace_status``), only some roles change them.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from tests.matrix import ADMINS, ALL_ROLES, SEES, WRITERS, Row, change_status, roles_status, view_status

MANAGERS = frozenset({"owner", "admin", "manager"})
EXPORTERS = MANAGERS  # roles with records.export (as in tests/contacts/matrix.py)
ALL_RELATIONS = ("own", "team", "other", "foreign", "deleted")


def workspace_status(ok: int = 200, allowed=ALL_ROLES, denied: int = 403):
    """A workspace-level record: 404 from another workspace or in the bin, else by role."""

    def expect(role, relation):
        if relation in ("foreign", "deleted"):
            return 404
        return ok if role in allowed else denied

    return expect


def _scoped(workspace, owner):
    import contextlib

    from rapport.core.scoping import audit_context, workspace_scope

    stack = contextlib.ExitStack()
    stack.enter_context(workspace_scope(workspace.pk))
    stack.enter_context(audit_context(actor=owner, source="web"))
    return stack


def _pipeline(cast, owner, workspace):
    from tests.sales.factories import PipelineFactory

    return PipelineFactory(workspace=workspace)


def _deal(cast, owner, workspace):
    from tests.sales.factories import DealFactory

    deal = DealFactory(pipeline=_pipeline(cast, owner, workspace), owner=owner)
    deal.other_stage_id = deal.pipeline.stages.order_by("-position").values_list("pk", flat=True).first()
    return deal


def _deal_with_line(cast, owner, workspace):
    from rapport.sales.models import LineItem

    deal = _deal(cast, owner, workspace)
    line = LineItem(workspace=workspace, deal=deal, name="Line", unit_price=Decimal("10"))
    line.save()
    deal.child_id = line.pk
    return deal


def _deal_with_contact(cast, owner, workspace):
    from rapport.contacts.models import Contact
    from rapport.sales.models import DealContact

    deal = _deal(cast, owner, workspace)
    with _scoped(workspace, owner):
        contact = Contact.objects.create(workspace=workspace, first_name="Pat", last_name="Buyer", owner=owner)
    deal.child_id = DealContact.objects.create(workspace=workspace, deal=deal, contact=contact).pk
    return deal


def _quote(cast, owner, workspace, **fields):
    from rapport.sales.models import Quote, QuoteLine
    from rapport.sales.services.common import next_number

    deal = _deal(cast, owner, workspace)
    with _scoped(workspace, owner):
        quote = Quote.objects.create(
            workspace=workspace,
            deal=deal,
            owner=owner,
            number=next_number("quote"),
            title="Matrix quote",
            currency="USD",
            issued_on=datetime.date.today(),
            valid_until=datetime.date.today() + datetime.timedelta(days=30),
            **fields,
        )
        line = QuoteLine(workspace=workspace, quote=quote, name="Line", unit_price=Decimal("10"))
        line.save()
    quote.child_id = line.pk
    return quote


def _order(cast, owner, workspace):
    from rapport.sales.models import Order, OrderLine
    from rapport.sales.services.common import next_number

    with _scoped(workspace, owner):
        order = Order.objects.create(
            workspace=workspace,
            owner=owner,
            number=next_number("order"),
            currency="USD",
            ordered_on=datetime.date.today(),
            subtotal=Decimal("10"),
            total=Decimal("10"),
        )
        line = OrderLine(workspace=workspace, order=order, name="Line", unit_price=Decimal("10"))
        line.save()
    order.child_id = line.pk
    return order


def _product(cast, owner, workspace):
    from tests.sales.factories import ProductFactory

    return ProductFactory(workspace=workspace)


def _stage(cast, owner, workspace):
    return _pipeline(cast, owner, workspace).stages.order_by("position").first()


def _lost_reason(cast, owner, workspace):
    from tests.sales.factories import LostReasonFactory

    return LostReasonFactory(workspace=workspace)


_QUOTA_YEARS = itertools.count(2000)


def _quota(cast, owner, workspace):
    from rapport.sales.models import Quota

    with _scoped(workspace, owner):
        return Quota.objects.create(
            workspace=workspace,
            user=owner,
            period_start=datetime.date(next(_QUOTA_YEARS), 1, 1),
            amount=Decimal("1000"),
            currency="USD",
        )


def _rule(cast, owner, workspace):
    from rapport.sales.models import AssignmentRule

    with _scoped(workspace, owner):
        return AssignmentRule.objects.create(workspace=workspace, name="Everyone", assign_to=owner)


def _lead(cast, owner, workspace):
    from rapport.contacts.models import Contact

    _pipeline(cast, owner, workspace)
    with _scoped(workspace, owner):
        return Contact.objects.create(workspace=workspace, first_name="Lee", last_name="Lead", owner=owner)


def pk(record):
    return {"pk": record.pk}


def child(name):
    return lambda record: {"pk": record.pk, name: record.child_id}


def version(record):
    return {"version": record.version}


VIEW = view_status(200)
CHANGE = change_status(302)
VIEW_REDIRECT = view_status(302)
_views = itertools.count()


def _cell(record):
    return {"pk": record.pk, "field": "next_step"}


def _bulk_expect(role, relation):
    """Bulk actions refuse the whole selection (403) when one record cannot be changed."""
    return 302 if relation in SEES[role] and role != "read_only" else 403


CHANGE_PAGE = change_status(200)
ADMIN_POST = workspace_status(302, ADMINS)

ROWS = [
    # Board, table and the deal record
    Row("sales:board", roles_status(ALL_ROLES)),
    Row("sales:pipeline_board", workspace_status(), make=_pipeline, kwargs=pk),
    Row("sales:deal_list", roles_status(ALL_ROLES)),
    Row("sales:deal_export", roles_status(EXPORTERS)),
    Row(
        "sales:deal_view_save",
        roles_status(ALL_ROLES, ok=302),
        method="POST",
        data=lambda record: {"name": f"view {next(_views)}", "columns": "name,stage", "sort": "-amount"},
    ),
    Row(
        "sales:deal_bulk",
        _bulk_expect,
        method="POST",
        make=_deal,
        data=lambda record: {"ids": [record.pk], "action": "add_tags", "value": "bulk-tagged"},
    ),
    Row("sales:deal_cell", CHANGE_PAGE, make=_deal, kwargs=_cell),
    Row("sales:deal_cell_show", VIEW_REDIRECT, make=_deal, kwargs=_cell, note="redirects to the deal without HTMX"),
    Row("sales:deal_create", roles_status(WRITERS)),
    Row("sales:deal_detail", VIEW, make=_deal, kwargs=pk),
    Row("sales:deal_edit", CHANGE_PAGE, make=_deal, kwargs=pk),
    Row(
        "sales:deal_move",
        CHANGE,
        method="POST",
        make=_deal,
        kwargs=pk,
        data=lambda deal: {"stage": deal.other_stage_id, "version": deal.version},
    ),
    Row("sales:deal_won", CHANGE, method="POST", make=_deal, kwargs=pk, data=version),
    Row("sales:deal_lost", CHANGE_PAGE, make=_deal, kwargs=pk),
    Row("sales:deal_reopen", CHANGE, method="POST", make=_deal, kwargs=pk, data=version),
    Row("sales:deal_delete", CHANGE, method="POST", make=_deal, kwargs=pk, data=version),
    Row(
        "sales:deal_line_add",
        CHANGE,
        method="POST",
        make=_deal,
        kwargs=pk,
        data={"line-name": "Extra", "line-quantity": "1", "line-unit_price": "5"},
    ),
    Row("sales:deal_line_edit", CHANGE_PAGE, make=_deal_with_line, kwargs=child("line_id")),
    Row("sales:deal_line_remove", CHANGE, method="POST", make=_deal_with_line, kwargs=child("line_id")),
    Row("sales:deal_contact_add", CHANGE, method="POST", make=_deal, kwargs=pk, data={"contact-role": "user"}),
    Row("sales:deal_contact_remove", CHANGE, method="POST", make=_deal_with_contact, kwargs=child("row_id")),
    Row("sales:quote_create", CHANGE, method="POST", make=_deal, kwargs=pk),
    # Quotes
    Row("sales:quote_list", roles_status(ALL_ROLES)),
    Row("sales:quote_detail", VIEW, make=_quote, kwargs=pk),
    Row("sales:quote_edit", CHANGE_PAGE, make=_quote, kwargs=pk),
    Row(
        "sales:quote_line_add",
        CHANGE,
        method="POST",
        make=_quote,
        kwargs=pk,
        data={"line-name": "Extra", "line-quantity": "1", "line-unit_price": "5"},
    ),
    Row("sales:quote_line_remove", CHANGE, method="POST", make=_quote, kwargs=child("line_id")),
    Row("sales:quote_send", CHANGE, method="POST", make=_quote, kwargs=pk, data=version),
    Row("sales:quote_accept", CHANGE, method="POST", make=_quote, kwargs=pk, data=version),
    Row("sales:quote_decline", CHANGE, method="POST", make=_quote, kwargs=pk, data=version),
    Row("sales:quote_delete", CHANGE, method="POST", make=_quote, kwargs=pk, data=version),
    Row("sales:quote_print", VIEW, make=_quote, kwargs=pk),
    Row("sales:quote_pdf", VIEW, make=_quote, kwargs=pk),
    # Orders
    Row("sales:order_list", roles_status(ALL_ROLES)),
    Row("sales:order_create", roles_status(WRITERS)),
    Row("sales:order_detail", VIEW, make=_order, kwargs=pk),
    Row("sales:order_edit", CHANGE_PAGE, make=_order, kwargs=pk),
    Row(
        "sales:order_line_add",
        CHANGE,
        method="POST",
        make=_order,
        kwargs=pk,
        data={"line-name": "Extra", "line-quantity": "1", "line-unit_price": "5"},
    ),
    Row("sales:order_line_remove", CHANGE, method="POST", make=_order, kwargs=child("line_id")),
    # Products
    Row("sales:product_list", roles_status(ALL_ROLES)),
    Row("sales:product_create", roles_status(MANAGERS)),
    Row("sales:product_edit", workspace_status(), make=_product, kwargs=pk),
    Row("sales:product_delete", workspace_status(302, MANAGERS), method="POST", make=_product, kwargs=pk, data=version),
    # Forecast and leads
    Row("sales:forecast", roles_status(ALL_ROLES)),
    Row("sales:picker", roles_status(ALL_ROLES), kwargs=lambda record: {"kind": "company"}),
    Row("sales:lead_inbox", roles_status(ALL_ROLES)),
    Row("sales:leads_assign", roles_status(ADMINS, ok=302), method="POST"),
    Row("sales:lead_status", CHANGE, method="POST", make=_lead, kwargs=pk, data={"lead_status": "attempting"}),
    Row("sales:lead_convert", CHANGE_PAGE, make=_lead, kwargs=pk),
    # Set-up
    Row("sales:settings", roles_status(ALL_ROLES)),
    Row("sales:standard_setup", roles_status(ADMINS, ok=302), method="POST"),
    Row("sales:pipeline_create", roles_status(ADMINS, ok=302), method="POST", data={"pipeline-name": "Partners"}),
    Row("sales:pipeline_edit", workspace_status(), make=_pipeline, kwargs=pk),
    Row("sales:pipeline_delete", ADMIN_POST, method="POST", make=_pipeline, kwargs=pk),
    Row(
        "sales:stage_create",
        ADMIN_POST,
        method="POST",
        make=_pipeline,
        kwargs=pk,
        data={"new-name": "Legal", "new-probability": "60", "new-forecast_category": "pipeline"},
    ),
    Row("sales:stage_edit", ADMIN_POST, method="POST", make=_stage, kwargs=pk),
    Row("sales:stage_move", ADMIN_POST, method="POST", make=_stage, kwargs=pk, data={"direction": "down"}),
    Row("sales:stage_delete", workspace_status(200, ADMINS), make=_stage, kwargs=pk),
    Row("sales:lost_reason_create", roles_status(ADMINS, ok=302), method="POST", data={"reason-name": "Too slow"}),
    Row("sales:lost_reason_toggle", ADMIN_POST, method="POST", make=_lost_reason, kwargs=pk),
    Row("sales:quota_create", roles_status(MANAGERS, ok=302), method="POST"),
    Row("sales:quota_delete", workspace_status(302, MANAGERS), method="POST", make=_quota, kwargs=pk),
    Row("sales:rule_create", roles_status(ADMINS, ok=302), method="POST"),
    Row("sales:rule_delete", ADMIN_POST, method="POST", make=_rule, kwargs=pk),
]


# --- API -------------------------------------------------------------------------------------------

_JSON = {"content_type": "application/json", "anonymous": 401}
_names = itertools.count(1)


def _lost_deal(cast, owner, workspace):
    from rapport.sales.models import DealStatus

    deal = _deal(cast, owner, workspace)
    deal.status = DealStatus.LOST
    with _scoped(workspace, owner):
        deal.save()
    return deal


def _deal_and_reason(cast, owner, workspace):
    deal = _deal(cast, owner, workspace)
    deal.reason_id = _lost_reason(cast, owner, workspace).pk
    return deal


def _two_pipelines(cast, owner, workspace):
    _pipeline(cast, owner, workspace)
    return _pipeline(cast, owner, workspace)


def _quote_create_expect(role, relation):
    from tests.matrix import SEES

    if role == "read_only":
        return 403
    return 201 if relation in SEES[role] else 400


API_VIEW = view_status(200)
API_CHANGE = change_status(200)

ROWS += [
    Row("sales_api:forecast", roles_status(ALL_ROLES), anonymous=401),
    Row("sales_api:pipeline-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "sales_api:pipeline-list",
        roles_status(ADMINS, ok=201),
        method="POST",
        data=lambda _: {"name": f"Api pipeline {next(_names)}"},
        **_JSON,
    ),
    Row("sales_api:pipeline-detail", workspace_status(), make=_pipeline, kwargs=pk, anonymous=401),
    Row(
        "sales_api:pipeline-detail",
        workspace_status(200, ADMINS),
        method="PATCH",
        make=_pipeline,
        kwargs=pk,
        data=lambda _: {"name": f"Renamed {next(_names)}"},
        **_JSON,
    ),
    Row(
        "sales_api:pipeline-detail",
        workspace_status(204, ADMINS),
        method="DELETE",
        make=_two_pipelines,
        kwargs=pk,
        **_JSON,
    ),
    Row("sales_api:deal-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "sales_api:deal-list",
        roles_status(WRITERS, ok=201),
        method="POST",
        make=_pipeline,
        data=lambda pipeline: {"name": "Api deal", "pipeline": pipeline.pk, "amount": "10.00"},
        relations=("own",),
        **_JSON,
    ),
    Row("sales_api:deal-detail", API_VIEW, make=_deal, kwargs=pk, anonymous=401),
    Row(
        "sales_api:deal-detail", API_CHANGE, method="PATCH", make=_deal, kwargs=pk, data={"next_step": "Call"}, **_JSON
    ),
    Row("sales_api:deal-detail", change_status(204), method="DELETE", make=_deal, kwargs=pk, **_JSON),
    Row(
        "sales_api:deal-move",
        API_CHANGE,
        method="POST",
        make=_deal,
        kwargs=pk,
        data=lambda deal: {"stage": deal.other_stage_id},
        **_JSON,
    ),
    Row("sales_api:deal-won", API_CHANGE, method="POST", make=_deal, kwargs=pk, data={}, **_JSON),
    Row(
        "sales_api:deal-lost",
        API_CHANGE,
        method="POST",
        make=_deal_and_reason,
        kwargs=pk,
        data=lambda deal: {"lost_reason": deal.reason_id},
        **_JSON,
    ),
    Row("sales_api:deal-reopen", API_CHANGE, method="POST", make=_lost_deal, kwargs=pk, data={}, **_JSON),
    Row(
        "sales_api:deal-lines",
        API_CHANGE,
        method="POST",
        make=_deal,
        kwargs=pk,
        data={"name": "Api line", "unit_price": "3.00"},
        **_JSON,
    ),
    Row("sales_api:product-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "sales_api:product-list",
        roles_status(MANAGERS, ok=201),
        method="POST",
        data=lambda _: {
            "sku": f"API-{next(_names)}",
            "name": "Api product",
            "prices": [{"currency": "USD", "unit_price": "9.50"}],
        },
        **_JSON,
    ),
    Row("sales_api:product-detail", workspace_status(), make=_product, kwargs=pk, anonymous=401),
    Row(
        "sales_api:product-detail",
        workspace_status(200, MANAGERS),
        method="PATCH",
        make=_product,
        kwargs=pk,
        data={"active": False},
        **_JSON,
    ),
    Row(
        "sales_api:product-detail", workspace_status(204, MANAGERS), method="DELETE", make=_product, kwargs=pk, **_JSON
    ),
    Row("sales_api:quote-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "sales_api:quote-list",
        _quote_create_expect,
        method="POST",
        make=_deal,
        data=lambda deal: {"deal": deal.pk},
        **_JSON,
    ),
    Row("sales_api:quote-detail", API_VIEW, make=_quote, kwargs=pk, anonymous=401),
    Row(
        "sales_api:quote-detail", API_CHANGE, method="PATCH", make=_quote, kwargs=pk, data={"notes": "Net 30"}, **_JSON
    ),
    Row("sales_api:quote-detail", change_status(204), method="DELETE", make=_quote, kwargs=pk, **_JSON),
    Row("sales_api:quote-send", API_CHANGE, method="POST", make=_quote, kwargs=pk, **_JSON),
    Row("sales_api:quote-accept", API_CHANGE, method="POST", make=_quote, kwargs=pk, **_JSON),
    Row("sales_api:quote-decline", API_CHANGE, method="POST", make=_quote, kwargs=pk, **_JSON),
    Row("sales_api:order-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "sales_api:order-list",
        roles_status(WRITERS, ok=201),
        method="POST",
        data={"currency": "USD", "lines": [{"name": "Api line", "unit_price": "4.00"}]},
        **_JSON,
    ),
    Row(
        "sales_api:order-import-orders",
        roles_status(WRITERS, ok=201),
        method="POST",
        data={"orders": [{"currency": "EUR", "lines": [{"name": "Imported", "unit_price": "1.00"}]}]},
        **_JSON,
    ),
    Row("sales_api:order-detail", API_VIEW, make=_order, kwargs=pk, anonymous=401),
    Row(
        "sales_api:order-detail",
        API_CHANGE,
        method="PATCH",
        make=_order,
        kwargs=pk,
        data={"amount_paid": "5.00"},
        **_JSON,
    ),
    Row("sales_api:order-detail", change_status(204), method="DELETE", make=_order, kwargs=pk, **_JSON),
]
