"""The deal import target: one mapped row becomes a deal through ``rapport.sales.services.deals``.

Relations are found by name: the pipeline (iexact; the workspace's first pipeline when the column is
not mapped), the stage within that pipeline (a clear error naming the known stages when it is
unknown), the company by name / domain (created when missing, like the contact target) or by the
external id an earlier account import stored, the owner by e-mail. A stage "Closed Won" / "Won"
(Salesforce, HubSpot ``closedwon``) imports the deal in the pipeline's last stage and wins it with
``deal_mark_won`` (no order is created); "Closed Lost" loses it with ``deal_mark_lost``.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from rapport.contacts.models import Company, Contact
from rapport.core.permissions import visible
from rapport.imports.models import ExternalId
from rapport.imports.targets import (
    EMPTY_DATES,
    Context,
    RowError,
    RowInvalid,
    _choice,
    _find_company,
    _owner_or_warn,
    parse_date,
    parse_decimal,
)
from rapport.sales.models import Deal, DealStatus, LostReason, Pipeline, Product, Stage
from rapport.sales.services import deals as deal_services
from rapport.sales.services import products as product_services

WON = {"closedwon", "won", "gewonnen"}
LOST = {"closedlost", "lost", "verloren"}
SOURCE_ALIASES = {
    "advertisement": "advertising",
    "ads": "advertising",
    "tradeshow": "event",
    "seminarpartner": "partner",
    "wordofmouth": "referral",
    "externalreferral": "referral",
    "employeereferral": "referral",
    "web": "website",
    "organicsearch": "website",
    "coldcall": "outbound",
    "phoneinquiry": "inbound",
}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _first(values: dict[str, list[tuple[str, str]]], key: str) -> str:
    return values[key][0][1] if key in values else ""


def _column(values: dict[str, list[tuple[str, str]]], key: str) -> str:
    return values[key][0][0] if key in values else ""


def _pipeline(ctx: Context, row: int, values: dict, errors: list[RowError]) -> Pipeline | None:
    cache = ctx.__dict__.setdefault("pipelines", {})
    name = _first(values, "pipeline")
    if name not in cache:
        if name:
            cache[name] = Pipeline.objects.filter(name__iexact=name).order_by("position", "id").first()
        else:
            cache[name] = Pipeline.objects.order_by("position", "id").first()
    pipeline = cache[name]
    if pipeline is None:
        known = ", ".join(Pipeline.objects.order_by("position", "id").values_list("name", flat=True))
        if name:
            errors.append(
                RowError(row, _column(values, "pipeline"), f"No pipeline is named {name!r} (pipelines: {known}).")
            )
        else:
            errors.append(
                RowError(row, "", "The workspace has no pipeline yet: create one under Settings → Pipelines.")
            )
    return pipeline


def _stage(pipeline: Pipeline, text: str) -> Stage | None:
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    for stage in stages:
        if stage.name.strip().lower() == text.strip().lower():
            return stage
    for stage in stages:
        if _norm(stage.name) == _norm(text):
            return stage
    return None


def deal_plan(ctx: Context, row: int, values: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    errors: list[RowError] = []
    data: dict[str, Any] = {"name": _first(values, "name")}
    status = DealStatus.OPEN
    if not data["name"]:
        errors.append(RowError(row, "", "The row has no deal name (map a column to “Name”)."))
    elif len(data["name"]) > 200:
        errors.append(RowError(row, _column(values, "name"), f"At most 200 characters ({len(data['name'])} given)."))
    pipeline = _pipeline(ctx, row, values, errors)
    if pipeline is not None:
        data["pipeline"] = pipeline
        text = _first(values, "stage")
        if text:
            stage = _stage(pipeline, text)
            if stage is None and _norm(text) in WON | LOST:
                status = DealStatus.WON if _norm(text) in WON else DealStatus.LOST
                stage = Stage.objects.filter(pipeline=pipeline).order_by("-position", "-id").first()
            if stage is None:
                names = ", ".join(Stage.objects.filter(pipeline=pipeline).values_list("name", flat=True))
                errors.append(
                    RowError(
                        row,
                        _column(values, "stage"),
                        f"The pipeline “{pipeline}” has no stage {text!r} "
                        f"(stages: {names}; or Closed Won / Closed Lost).",
                    )
                )
            else:
                data["stage"] = stage
    if "amount" in values:
        try:
            data["amount"] = parse_decimal(_first(values, "amount"))
        except ValueError as exc:
            errors.append(RowError(row, _column(values, "amount"), str(exc)))
    if _first(values, "currency"):
        data["currency"] = _first(values, "currency").strip().upper()
    if "probability" in values:
        try:
            data["probability"] = int(parse_decimal(_first(values, "probability").rstrip("% ")))
        except ValueError as exc:
            errors.append(RowError(row, _column(values, "probability"), str(exc)))
    if "close_date" in values and _first(values, "close_date") not in EMPTY_DATES:
        try:
            data["expected_close_date"] = parse_date(_first(values, "close_date")[:10])
        except ValueError as exc:
            ctx.warn(row, _column(values, "close_date"), _first(values, "close_date"), str(exc))
    if "forecast_category" in values:
        try:
            data["forecast_category"] = _choice(Deal, "forecast_category", _first(values, "forecast_category"))
        except ValueError as exc:
            ctx.warn(row, _column(values, "forecast_category"), _first(values, "forecast_category"), str(exc))
    if "source" in values:
        text = _first(values, "source")
        try:
            data["source"] = SOURCE_ALIASES.get(_norm(text)) or _choice(Deal, "source", text)
        except ValueError as exc:
            ctx.warn(row, _column(values, "source"), text, str(exc))
    if _first(values, "next_step"):
        data["next_step"] = _first(values, "next_step")
        if len(data["next_step"]) > 200:
            errors.append(RowError(row, _column(values, "next_step"), "At most 200 characters."))
    if "owner_email" in values:
        owner = _owner_or_warn(ctx, row, _column(values, "owner_email"), _first(values, "owner_email"))
        if owner is not None:
            data["owner"] = get_user_model().objects.get(pk=owner)
    lost_reason = None
    if status == DealStatus.LOST:
        text = _first(values, "lost_reason") or "Other"
        lost_reason = LostReason.objects.filter(name__iexact=text, active=True).first()
        if lost_reason is None:
            errors.append(
                RowError(row, _column(values, "lost_reason") or _column(values, "stage"), f"No lost reason {text!r}.")
            )
    company_by_id = None
    if _first(values, "company_external_id"):
        ct = ContentType.objects.get_for_model(Company)
        value = _first(values, "company_external_id")
        hit = ExternalId.objects.filter(content_type=ct, value=value).values_list("object_id", flat=True).first()
        company_by_id = visible(Company.objects.all(), ctx.actor).filter(pk=hit).first() if hit else None
        if company_by_id is None:
            ctx.warn(
                row,
                _column(values, "company_external_id"),
                value,
                "No company was imported with this id; the deal has no company.",
            )
    if errors:
        raise RowInvalid(errors)
    return {
        "data": data,
        "status": status,
        "lost_reason": lost_reason,
        "company": (_first(values, "company"), _first(values, "company_domain")),
        "company_by_id": company_by_id,
        "tags": [t.strip() for _, text in values.get("tags", []) for t in re.split(r"[,;]", text) if t.strip()],
        "external_id": _first(values, "external_id"),
    }


def _company(ctx: Context, plan: dict[str, Any]) -> Company | None:
    if plan["company_by_id"] is not None:
        return plan["company_by_id"]
    name, domain = plan["company"]
    return _find_company(ctx, name, domain) if name or domain else None


def find_deal(ctx: Context, plan: dict[str, Any]) -> Deal | None:
    """Dedupe key "name": the same name (any case) at the same company (or both without one)."""
    qs = visible(Deal.objects.all(), ctx.actor).filter(name__iexact=plan["data"].get("name", ""))
    company = plan["company_by_id"]
    name, domain = plan["company"]
    if company is None and (name or domain):
        company = visible(Company.objects.all(), ctx.actor).filter(name__iexact=name.strip()).first() if name else None
        if company is None:
            return None
    return qs.filter(company=company).order_by("id").first()


def _lifecycle_of_customers(deal: Deal) -> list[Company | Contact]:
    """The records ``mark_customers`` makes customers when ``deal`` is won (same managers)."""
    records: list[Company | Contact] = []
    if deal.company_id:
        records.extend(Company.objects.filter(pk=deal.company_id))
    records.extend(Contact.objects.filter(deal_roles__deal=deal))
    return records


def _win(ctx: Context, deal: Deal) -> Deal:
    """Win the deal and note, for undo, each lifecycle stage the win changed (``ctx.side_updated``).

    Winning makes the deal's company and contacts customers (``mark_customers``): a side effect on
    records the import did not otherwise touch. Each change is kept as ``(record, before)`` with
    ``before = {"fields": {"lifecycle_stage": old}, "set": {"lifecycle_stage": new}}`` so that undo
    can put the old stage back, but only while the record still has the stage the import set.
    Records created by this very row are left out: undo removes them.
    """
    before = {(type(r), r.pk): r.lifecycle_stage for r in _lifecycle_of_customers(deal)}
    deal = deal_services.deal_mark_won(actor=ctx.actor, deal=deal, create_order=False)
    created = {(type(side), side.pk) for side in ctx.side_created}
    for record in _lifecycle_of_customers(deal):
        key = (type(record), record.pk)
        if key in created or key not in before or before[key] == record.lifecycle_stage:
            continue
        ctx.side_updated.append(
            (
                record,
                {
                    "fields": {"lifecycle_stage": before[key]},
                    "set": {"lifecycle_stage": record.lifecycle_stage},
                    "because": {"deal": deal.pk},
                },
            )
        )
    return deal


def _close(ctx: Context, plan: dict[str, Any], deal: Deal) -> Deal:
    if plan["status"] == DealStatus.WON and deal.is_open:
        deal = _win(ctx, deal)
    elif plan["status"] == DealStatus.LOST and deal.is_open:
        deal = deal_services.deal_mark_lost(actor=ctx.actor, deal=deal, lost_reason=plan["lost_reason"])
    for side in ctx.side_created:  # winning makes the company a customer: record its version after that
        side.refresh_from_db(fields=["version"])
    return deal


def apply_deal(ctx: Context, plan: dict[str, Any], existing: Deal | None) -> tuple[str, Deal | None]:
    """Create, update or skip one deal; lifecycle stages changed by a win go to ``ctx.side_updated``.

    The importer writes each ``(record, before)`` of ``ctx.side_updated`` to the ledger as an
    *updated* item of the row (see ``rapport.imports.undo``).
    """
    actor = ctx.actor
    ctx.side_updated = []  # this row's only (a Context attribute the per-row path reads after the row)
    data = dict(plan["data"])
    company = _company(ctx, plan)
    if company is not None:
        data["company"] = company
    tags = plan["tags"] + ctx.tags
    if existing is not None:
        if ctx.policy == "skip":
            return "skipped", existing
        if ctx.policy == "update":
            if "stage" not in data:
                data.pop("pipeline", None)
            merged = sorted({t.tag.name for t in existing.tagged_items.select_related("tag")} | set(tags))
            deal_services.deal_update(
                actor=actor,
                deal=existing,
                data={k: v for k, v in data.items() if v not in ("", None)},
                tags=merged if tags else None,
            )
            return "updated", _close(ctx, plan, existing)
    deal = deal_services.deal_create(
        actor=actor, data={k: v for k, v in data.items() if v not in ("", None)}, tags=tags or None
    )
    return "created", _close(ctx, plan, deal)


# --- products -----------------------------------------------------------------------------------

TRUE = {"1", "true", "yes", "y", "ja", "active", "aktiv", "x"}
FALSE = {"0", "false", "no", "n", "nein", "inactive", "inaktiv"}


def product_plan(ctx: Context, row: int, values: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    errors: list[RowError] = []
    data: dict[str, Any] = {"sku": _first(values, "sku"), "name": _first(values, "name")}
    if not data["sku"]:
        errors.append(RowError(row, "", "The row has no SKU; a product needs one (map a column to “SKU”)."))
    if not data["name"]:
        errors.append(RowError(row, "", "The row has no product name."))
    if _first(values, "description"):
        data["description"] = _first(values, "description")
    if "tax_rate" in values:
        try:
            data["tax_rate"] = parse_decimal(_first(values, "tax_rate").rstrip("% "))
        except ValueError as exc:
            errors.append(RowError(row, _column(values, "tax_rate"), str(exc)))
    if "active" in values:
        text = _first(values, "active").strip().lower()
        if text in TRUE | FALSE:
            data["active"] = text in TRUE
        else:
            ctx.warn(row, _column(values, "active"), text, "Not yes / no (true / false, 1 / 0).")
    prices: dict[str, Any] = {}
    if "price" in values:
        currency = (_first(values, "currency") or ctx.actor.workspace.default_currency).strip().upper()
        try:
            prices[currency] = parse_decimal(_first(values, "price"))
        except ValueError as exc:
            errors.append(RowError(row, _column(values, "price"), str(exc)))
    if errors:
        raise RowInvalid(errors)
    return {"data": data, "prices": prices, "sku": data["sku"], "external_id": _first(values, "external_id")}


def find_product(ctx: Context, plan: dict[str, Any]) -> Product | None:
    return Product.objects.filter(sku__iexact=plan["sku"].strip()).order_by("id").first()


def apply_product(ctx: Context, plan: dict[str, Any], existing: Product | None) -> tuple[str, Product | None]:
    if existing is not None:
        if ctx.policy == "skip":
            return "skipped", existing
        if ctx.policy == "update":
            prices = None
            if plan["prices"]:
                prices = {p.currency: p.unit_price for p in existing.prices.all()} | plan["prices"]
            data = {k: v for k, v in plan["data"].items() if v not in ("", None) and k != "sku"}
            product_services.product_update(actor=ctx.actor, product=existing, data=data, prices=prices)
            return "updated", existing
    product = product_services.product_create(actor=ctx.actor, data=plan["data"], prices=plan["prices"] or None)
    return "created", product
