"""Deals (with stage history, contacts and lines), quotes and orders for :mod:`rapport.ops.generator`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from rapport.ops import wordlists as W
from rapport.ops.bulk import Table, instances, money
from rapport.sales.money import LineAmounts

if TYPE_CHECKING:
    from rapport.ops.generator import Generator

CURRENCIES = (("USD", 70), ("EUR", 20), ("GBP", 10))
WIN_RATE = {0: 0.24}  # the first (new business) pipeline; the others (renewals…) win more often
OTHER_WIN_RATE = 0.66
SOURCES = ("inbound", "website", "referral", "outbound", "event", "partner", "advertising", "other")
DEAL_ROLES = ("decision_maker", "champion", "influencer")
ZERO = Decimal("0")


def _lines(gen: Generator, currency: str, count: int) -> list[tuple]:
    """(product_id, name, quantity, unit price, discount %, tax %, amounts) for ``count`` lines."""
    rng = gen.rng
    lines = []
    for _ in range(count):
        product_id, name, tax, prices = rng.choice(gen.products) if gen.products else (None, "", ZERO, {})
        price = prices.get(currency)
        if price is None:
            product_id, name, tax = None, f"{rng.choice(W.DEAL_WORDS)} services", Decimal("0")
            price = money(rng.randrange(5, 300) * 50)
        quantity = Decimal(rng.choice((1, 1, 2, 5, 10, 25, 50)))
        discount = Decimal(rng.choice((0, 0, 0, 5, 10, 15)))
        amounts = LineAmounts.compute(quantity=quantity, unit_price=price, discount_percent=discount, tax_rate=tax)
        lines.append((product_id, name, quantity, price, discount, tax, amounts))
    return lines


def write_deals(gen: Generator) -> None:
    from rapport.sales.models import Deal, DealContact, DealStageChange, LineItem

    total, plan = gen.plan.deals, gen.plan
    deal_t = Table(
        Deal,
        [
            "id",
            "workspace_id",
            "name",
            "pipeline_id",
            "stage_id",
            "status",
            "amount",
            "currency",
            "expected_close_date",
            "company_id",
            "source",
            "next_step",
            "lost_reason_id",
            "closed_at",
            "stage_entered_at",
            "owner_id",
            "created_at",
            "updated_at",
            "created_by_id",
            "updated_by_id",
        ],
    )
    change_t = Table(
        DealStageChange,
        [
            "workspace_id",
            "deal_id",
            "from_stage_id",
            "to_stage_id",
            "from_status",
            "to_status",
            "at",
            "seconds_in_previous",
            "actor_id",
        ],
    )
    contact_t = Table(DealContact, ["workspace_id", "deal_id", "contact_id", "role", "is_primary", "created_at"])
    line_t = Table(
        LineItem,
        [
            "workspace_id",
            "deal_id",
            "product_id",
            "name",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "position",
            "net_amount",
            "tax_amount",
            "total_amount",
        ],
    )
    from rapport.ops.chunks import run_chunks
    from rapport.ops.generator import IdRanges

    first_id = deal_t.allocate(total)
    gen.deal_ids = IdRanges()
    gen.deal_ids.add(first_id, total)
    gen.deal_company: dict[int, int] = {}
    gen.won: list[tuple] = []
    gen.open_late: list[tuple] = []
    outcomes = [0, 0]  # won, closed

    def make(start: int, size: int) -> tuple:
        rng, currency = gen.rng, gen._weighted(CURRENCIES)
        rows, changes, people, lines = [], [], [], []
        companies, won_deals, open_late = [], [], []
        won = closed = 0
        for pk in range(first_id + start, first_id + start + size):
            index = 0 if rng.random() < 0.8 or len(gen.pipelines) == 1 else rng.randrange(1, len(gen.pipelines))
            pipeline, stages = gen.pipelines[index]
            company_id = gen._pick_company() if rng.random() < 0.92 else None
            if company_id:
                companies.append((pk, company_id))
            staff = gen.contacts_by_company.get(company_id, []) if company_id else gen.contact_ids_sample
            cur = currency()
            owner = rng.choice(gen.sellers)
            step_days = [rng.randrange(3, 35) for _ in stages]
            wins = rng.random() < WIN_RATE.get(index, OTHER_WIN_RATE)
            reached = len(stages) - 1 if wins else rng.randrange(len(stages))
            created = gen._past(3 * 365, 1.1)
            entered_at = [created]
            for days in step_days[:reached]:
                entered_at.append(entered_at[-1] + dt.timedelta(days=days, hours=rng.randrange(24)))
            closes = entered_at[-1] + dt.timedelta(days=step_days[reached], hours=rng.randrange(24))
            # Still open where the timeline runs past today: it stands in the stage reached by then.
            position = next((i for i, at in enumerate(entered_at) if at > gen.end), None)
            if position is not None:
                entered_at = entered_at[:position]
            status = "open" if position is not None or closes > gen.end else ("won" if wins else "lost")
            stage = stages[len(entered_at) - 1]
            closed_at = closes if status != "open" else None
            count = rng.choice((0, 0, 0, 0, 0, 0, 0, 1, 2, 3))
            deal_lines = _lines(gen, cur, count)
            amount = sum((ln[6].net for ln in deal_lines), ZERO) if deal_lines else money(rng.randrange(10, 1600) * 50)
            company_name = gen.company_name.get(company_id, "Direct customer") if company_id else "Direct customer"
            name = f"{company_name}: {rng.choice(W.DEAL_WORDS)} {rng.choice(('Q1', 'Q2', 'Q3', 'Q4', '2026', 'EMEA'))}"
            expected = (closed_at or gen.end + dt.timedelta(days=rng.randrange(-20, 120))).date()
            row = (
                pk, gen.ws, name[:200], pipeline.pk, stage.pk, status, amount, cur, expected, company_id,
                rng.choice(SOURCES), "Send the proposal" if status == "open" and rng.random() < 0.3 else "",
                rng.choice(gen.lost_reasons) if status == "lost" and gen.lost_reasons else None, closed_at,
                closed_at or entered_at[-1], owner, created, closed_at or entered_at[-1], owner, owner,
            )  # fmt: skip
            rows.append(row)
            previous = None
            for i, at in enumerate(entered_at):
                seconds = int((at - entered_at[i - 1]).total_seconds()) if previous else None
                changes.append(
                    (gen.ws, pk, previous, stages[i].pk, "open" if previous else "", "open", at, seconds, owner)
                )
                previous = stages[i].pk
            if closed_at:
                seconds = int((closed_at - entered_at[-1]).total_seconds())
                changes.append((gen.ws, pk, previous, previous, "open", status, closed_at, seconds, owner))
                closed += 1
                won += status == "won"
            chosen = rng.sample(staff, min(len(staff), rng.choice((1, 1, 1, 2, 3)))) if staff else []
            for i, contact_id in enumerate(chosen):
                people.append((gen.ws, pk, contact_id, DEAL_ROLES[i], i == 0, created))
            for i, (product_id, line_name, qty, price, discount, tax, figures) in enumerate(deal_lines):
                amounts = (figures.net, figures.tax, figures.total)
                lines.append((gen.ws, pk, product_id, line_name, qty, price, discount, tax, i, *amounts))
            contact_id = chosen[0] if chosen else None
            if status == "won" and len(won_deals) < plan.orders:
                won_deals.append((pk, company_id, contact_id, cur, closed_at, owner))
            elif status == "open" and len(entered_at) >= 2 and len(open_late) < plan.quotes:
                open_late.append((pk, company_id, contact_id, cur, name, owner))
        gen.save([(deal_t, rows), (change_t, changes), (contact_t, people), (line_t, lines)], instances(deal_t, rows))
        gen._count("deals", size)
        gen._count("stage changes", len(changes))
        gen._count("deal contacts", len(people))
        gen._count("deal lines", len(lines))
        return companies, won_deals, open_late, won, closed

    def merge(result: tuple) -> None:
        companies, won_deals, open_late, won, closed = result
        gen.deal_company.update(companies)
        gen.won.extend(won_deals[: max(0, plan.orders - len(gen.won))])
        gen.open_late.extend(open_late[: max(0, plan.quotes - len(gen.open_late))])
        outcomes[0] += won
        outcomes[1] += closed

    run_chunks(gen, "deals", total, make, merge)
    won, closed = outcomes
    if closed:
        gen.log(f"  win rate of closed deals: {100 * won / closed:.0f}% ({won:,} won of {closed:,})")


def _numbers(gen: Generator, kind: str, count: int) -> int:
    """Reserve ``count`` document numbers of ``kind``; returns the first."""
    from rapport.sales.models import NumberSequence

    with transaction.atomic():
        sequence, _ = NumberSequence.objects.select_for_update().get_or_create(
            workspace_id=gen.ws, kind=kind, defaults={"last_value": 0}
        )
        first = sequence.last_value + 1
        sequence.last_value += count
        sequence.save(update_fields=["last_value"])
    return first


def _document_rows(gen: Generator, currency: str) -> tuple[list[tuple], tuple[Decimal, ...]]:
    lines = _lines(gen, currency, gen.rng.randrange(1, 5))
    subtotal = sum((ln[6].subtotal for ln in lines), ZERO)
    discount = sum((ln[6].discount for ln in lines), ZERO)
    tax = sum((ln[6].tax for ln in lines), ZERO)
    return lines, (subtotal, discount, tax, subtotal - discount + tax)


def write_documents(gen: Generator) -> None:
    from rapport.sales.models import Order, OrderLine, Quote, QuoteLine

    rng = gen.rng
    line_cols = ["workspace_id", "product_id", "name", "quantity", "unit_price", "discount_percent", "tax_rate"]
    line_cols += ["position", "net_amount", "tax_amount", "total_amount"]
    totals = ["currency", "subtotal", "discount_total", "tax_total", "total"]
    stamps = ["owner_id", "created_at", "updated_at", "created_by_id", "updated_by_id"]
    quote_cols = [
        "id",
        "workspace_id",
        "number",
        "deal_id",
        "title",
        "contact_id",
        "status",
        "issued_on",
        "valid_until",
        "sent_at",
    ]
    order_cols = [
        "id",
        "workspace_id",
        "number",
        "deal_id",
        "company_id",
        "contact_id",
        "ordered_on",
        "status",
        "amount_paid",
    ]
    quote_t = Table(Quote, [*quote_cols, *totals, *stamps])
    order_t = Table(Order, [*order_cols, *totals, *stamps])
    quote_line_t = Table(QuoteLine, ["quote_id", *line_cols])
    order_line_t = Table(OrderLine, ["order_id", *line_cols])
    for kind, source, table, line_table in (
        ("quote", gen.open_late, quote_t, quote_line_t),
        ("order", gen.won, order_t, order_line_t),
    ):
        for start in range(0, len(source), gen.plan.chunk):
            batch = source[start : start + gen.plan.chunk]
            first = table.allocate(len(batch))
            number = _numbers(gen, kind, len(batch))
            rows, lines = [], []
            for offset, item in enumerate(batch):
                pk = first + offset
                deal_id, company_id, contact_id, currency, extra, owner = item
                doc_lines, figures = _document_rows(gen, currency)
                if kind == "quote":
                    issued = (gen.end - dt.timedelta(days=rng.randrange(0, 40))).date()
                    sent = rng.random() < 0.5
                    at = dt.datetime.combine(issued, dt.time(10), tzinfo=dt.UTC)
                    row = (
                        pk, gen.ws, number + offset, deal_id, f"Proposal: {extra}"[:200], contact_id,
                        "sent" if sent else "draft", issued, issued + dt.timedelta(days=30), at if sent else None,
                        currency, *figures, owner, at, at, owner, owner,
                    )  # fmt: skip
                else:
                    status = rng.choices(("open", "invoiced", "paid", "cancelled"), (2, 3, 10, 1))[0]
                    paid = figures[3] if status == "paid" else money(figures[3] / 2) if status == "invoiced" else ZERO
                    row = (
                        pk, gen.ws, number + offset, deal_id, company_id, contact_id, extra.date(), status,
                        paid, currency, *figures, owner, extra, extra, owner, owner,
                    )  # fmt: skip
                rows.append(row)
                for i, (product_id, name, qty, price, discount, tax, fig) in enumerate(doc_lines):
                    lines.append(
                        (pk, gen.ws, product_id, name, qty, price, discount, tax, i, fig.net, fig.tax, fig.total)
                    )
            gen.save([(table, rows), (line_table, lines)], instances(table, rows))
            gen._count(f"{kind}s", len(batch))
            gen._count(f"{kind} lines", len(lines))
            gen._progress(f"{kind}s", start + len(batch), len(source))
