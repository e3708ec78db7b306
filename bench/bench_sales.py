"""Sales at scale: the board with 2,000 open deals, a stage move, the quarter's forecast, the deal page.

``bench/run.py`` calls :func:`prepare`, which adds the bench pipeline (2,000 open deals on its
board, 3,000 closed) to the demo workspace when it is missing; the rest of the deals come from
the data generator (``seed_demo --contacts N``). By hand, for a bigger bench pipeline::

    .venv/bin/python bench/bench_sales.py seed --deals 100000 --open 2000
    .venv/bin/python bench/run.py --only sales

The seed adds a "Bench pipeline" whose board holds ``--open`` open deals; the other deals are won
or lost over the last three years (they weigh on the forecast and on every index). Each deal gets
its creation row in the stage history. No History or search rows: the figures are for the board,
the move, the forecast and the record page, which do not read them for other deals.

The stage move is a write: each run moves one bench deal between its pipeline's first two stages
(without a version, so runs do not need a read in between); it answers a redirect.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from harness import Benchmark, Context

CHUNK = 5000
PIPELINE = "Bench pipeline"
STAGES = [
    ("Bench qualified", 10),
    ("Bench discovery", 25),
    ("Bench proposal", 50),
    ("Bench negotiation", 75),
    ("Bench commit", 90),
]


def _pipeline(context: Context):
    if "sales_pipeline" not in context.cache:
        from rapport.core.scoping import workspace_scope
        from rapport.sales.models import Pipeline

        with workspace_scope(context.workspace.pk):
            pipeline = Pipeline.objects.filter(name=PIPELINE).first()
        if pipeline is None:
            raise RuntimeError("Run `python bench/bench_sales.py seed` first.")
        context.cache["sales_pipeline"] = pipeline
    return context.cache["sales_pipeline"]


def _counts(context: Context) -> str:
    if context.workspace is None:
        return "-"
    if "sales_counts" not in context.cache:
        from rapport.core.scoping import workspace_scope
        from rapport.sales.models import Deal

        with workspace_scope(context.workspace.pk):
            total = Deal.objects.count()
            board = Deal.objects.filter(pipeline=_pipeline(context), status="open").count()
        context.cache["sales_counts"] = f"{total:,} deals / {board:,} on the board"
    return context.cache["sales_counts"]


def _board(context: Context) -> str:
    return f"/pipelines/{_pipeline(context).pk}/board/"


def _moving_deal(context: Context) -> int:
    if "sales_moving" not in context.cache:
        from rapport.core.scoping import workspace_scope
        from rapport.sales.models import Deal

        with workspace_scope(context.workspace.pk):
            context.cache["sales_moving"] = (
                Deal.objects.filter(pipeline=_pipeline(context), status="open")
                .order_by("id")
                .values_list("pk", flat=True)
                .first()
            )
            stages = list(_pipeline(context).stages.order_by("position").values_list("pk", flat=True)[:2])
        context.cache["sales_move_targets"] = itertools.cycle(stages[::-1])
    return context.cache["sales_moving"]


def _move_url(context: Context) -> str:
    return f"/deals/{_moving_deal(context)}/move/"


def _move_data(context: Context) -> dict:
    _moving_deal(context)
    return {"stage": next(context.cache["sales_move_targets"])}


def _deal_page(context: Context) -> str:
    return f"/deals/{_moving_deal(context)}/"


BENCHMARKS = [
    Benchmark(
        "sales board (all open deals of a pipeline)",
        _board,
        as_user="owner",
        target_ms=150,
        max_queries=20,
        records=_counts,
    ),
    Benchmark(
        "sales stage move (POST)",
        _move_url,
        method="POST",
        data=_move_data,
        as_user="owner",
        target_ms=50,
        max_queries=20,
        records=_counts,
        expect_status=302,
    ),
    Benchmark(
        "sales forecast, one quarter by owner",
        "/forecast/",
        as_user="owner",
        target_ms=200,
        max_queries=30,
        records=_counts,
    ),
    Benchmark("sales API forecast, one quarter", "/api/v1/forecast/", as_user="owner", target_ms=200, records=_counts),
    Benchmark("sales deal record page", _deal_page, as_user="owner", target_ms=60, max_queries=30, records=_counts),
    Benchmark(
        "sales deals table, first page", "/deals/", as_user="owner", target_ms=80, max_queries=20, records=_counts
    ),
    Benchmark(
        "sales deals table, filtered (open, amount > 1,000) and sorted by amount",
        "/deals/?filter=status:eq:open&filter=amount:gt:1000&sort=-amount&columns=name,company,stage,amount,owner,tags",
        as_user="owner",
        target_ms=80,
        max_queries=20,
        records=_counts,
    ),
    Benchmark(
        "sales company picker (typed name)",
        "/pickers/company/?q=north&for=id_company-listbox",
        as_user="owner",
        target_ms=50,
        max_queries=20,
        records=_counts,
    ),
    Benchmark("sales API GET /api/v1/deals/ (50)", "/api/v1/deals/", as_user="owner", target_ms=100, records=_counts),
]


# --- seeding ----------------------------------------------------------------------------------------


BOARD_OPEN_DEALS = 2_000


def prepare(context: Context) -> None:
    """Called by bench/run.py: add the bench pipeline with its 2,000 open deals when it is missing."""
    from rapport.core.scoping import workspace_scope
    from rapport.sales.models import Pipeline

    with workspace_scope(context.workspace.pk):
        missing = not Pipeline.objects.filter(name=PIPELINE).exists()
    if missing:
        seed(BOARD_OPEN_DEALS + 3_000, BOARD_OPEN_DEALS)


def seed(deals: int, open_deals: int) -> None:
    """Top the demo workspace up to ``deals`` bench deals, ``open_deals`` of them open on the board."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from rapport.core.demo import DEMO_SLUG
    from rapport.core.models import Workspace
    from rapport.core.scoping import workspace_scope
    from rapport.sales.models import Deal, DealStageChange, Pipeline, Stage

    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    users = list(get_user_model().objects.filter(memberships__workspace=workspace).values_list("pk", flat=True))
    rng = random.Random(11)
    now = timezone.now()
    today = timezone.localdate()
    started = time.monotonic()
    with workspace_scope(workspace.pk):
        pipeline = Pipeline.objects.filter(name=PIPELINE).first()
        if pipeline is None:
            pipeline = Pipeline.objects.create(workspace=workspace, name=PIPELINE, position=99)
            for position, (name, probability) in enumerate(STAGES, start=1):
                Stage.objects.create(
                    workspace=workspace, pipeline=pipeline, name=name, position=position, probability=probability
                )
        stages = list(pipeline.stages.order_by("position"))
        have = Deal.all_objects.filter(pipeline=pipeline).count()
        have_open = Deal.all_objects.filter(pipeline=pipeline, status="open").count()
        for start in range(have, deals, CHUNK):
            size = min(CHUNK, deals - start)
            rows = []
            for i in range(size):
                n = start + i
                is_open = have_open < open_deals
                have_open += is_open
                created = now - timedelta(days=rng.randrange(1, 3 * 365), seconds=n)
                status = "open" if is_open else ("won" if rng.random() < 0.4 else "lost")
                closed = None if is_open else min(now, created + timedelta(days=rng.randrange(5, 120)))
                rows.append(
                    Deal(
                        workspace=workspace,
                        name=f"Bench deal {n:07d}",
                        pipeline=pipeline,
                        stage=stages[n % len(stages)],
                        status=status,
                        amount=Decimal(rng.randrange(10, 2000) * 100),
                        currency="USD",
                        expected_close_date=today + timedelta(days=rng.randrange(-30, 200)),
                        owner_id=users[n % len(users)],
                        closed_at=closed,
                        stage_entered_at=created + timedelta(days=rng.randrange(0, 40)),
                        created_at=created,
                        updated_at=created,
                    )
                )
            with transaction.atomic():
                created_rows = Deal.objects.bulk_create(rows)
                DealStageChange.objects.bulk_create(
                    [
                        DealStageChange(
                            workspace=workspace, deal=d, to_stage_id=d.stage_id, to_status="open", at=d.created_at
                        )
                        for d in created_rows
                    ]
                )
            print(f"deals: {start + size:,} ({time.monotonic() - started:.0f}s)", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Seed deals for the sales benchmarks.")
    parser.add_argument("command", choices=["seed"])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=2_000, help="open deals on the bench pipeline's board")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(root / "src")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    seed(args.deals, args.open)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
