"""Create the demo workspace with an owner login and sample team; safe to run again.

Apps add their own demo records by registering a ``demo_loader`` (see rapport.core.demo).

With ``--contacts N`` it then adds a large, realistic, deterministic data set to the demo
workspace for benchmarks and load tests (see rapport.ops.generator and docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from rapport.core.demo import DEMO_OWNER_EMAIL, DEMO_PASSWORD, ensure_demo_workspace, run_demo_loaders


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of: {value!r} is not a date like 2026-12-01") from None


def _can_write_in_a_thread() -> bool:
    """PostgreSQL, outside a transaction: a second connection would not see uncommitted rows."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class Command(BaseCommand):
    help = "Create (or top up) the demo workspace with its owner login and demo data; --contacts N adds a big data set."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", default=os.environ.get("RAPPORT_DEMO_PASSWORD", DEMO_PASSWORD))
        scale = parser.add_argument_group("generated data (benchmarks and load tests)")
        scale.add_argument("--contacts", type=int, help="Generate this many contacts (and companies, deals…).")
        scale.add_argument("--seed", type=int, default=42, help="Random seed: same seed and date, same data.")
        scale.add_argument("--as-of", type=_date, help="The 'today' of the generated data (default: today).")
        scale.add_argument("--companies", type=int, help="Companies (default: contacts / 8).")
        scale.add_argument("--deals", type=int, help="Deals (default: contacts / 5).")
        scale.add_argument("--orders", type=int, help="Orders (default: contacts / 50).")
        scale.add_argument("--quotes", type=int, help="Quotes (default: contacts / 100).")
        scale.add_argument("--activities", type=float, default=1.5, help="Activities per contact on average.")
        scale.add_argument(
            "--more-activities",
            type=int,
            metavar="N",
            help="Add N activities over the contacts and deals already there (no new records).",
        )
        scale.add_argument("--chunk", type=int, default=20_000, help="Rows per transaction.")
        scale.add_argument("--no-history", action="store_true", help="Skip the 'created' History rows.")
        scale.add_argument(
            "--defer-indexes",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="PostgreSQL: load without secondary indexes and constraints, then rebuild them "
            "(default: for 100,000 contacts or more, into tables holding few rows).",
        )
        scale.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="PostgreSQL: generate on this many processes (default: one per core; the data is the same).",
        )
        scale.add_argument(
            "--rebuild-indexes",
            action="store_true",
            help="Only make again the indexes and constraints an interrupted load left dropped.",
        )

    def handle(self, *args, password: str, **options) -> None:
        if options["rebuild_indexes"]:
            from rapport.ops.deferred import rebuild_pending

            if connection.vendor != "postgresql":
                raise CommandError("--rebuild-indexes: only PostgreSQL loads defer their indexes.")
            done = rebuild_pending(self.stdout.write)
            self.stdout.write(self.style.SUCCESS(f"Rebuilt {done} indexes and constraints."))
            return
        with transaction.atomic():
            workspace, created = ensure_demo_workspace(password=password)
            loaded = run_demo_loaders(workspace)
        status = "Created" if created else "Found"
        self.stdout.write(self.style.SUCCESS(f"{status} demo workspace “{workspace.name}”."))
        for line in loaded:
            self.stdout.write(f"  {line}")
        if options.get("contacts") is not None:
            self._generate(workspace, options)
        if options.get("more_activities") is not None:
            self._top_up(workspace, options)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Log in at http://127.0.0.1:8000/ with:"))
        self.stdout.write(f"  email:    {DEMO_OWNER_EMAIL}")
        self.stdout.write(f"  password: {password}")

    def _top_up(self, workspace, options) -> None:
        from rapport.ops.generator import Generator, Plan

        total = options["more_activities"]
        if total < 1:
            raise CommandError("--more-activities must be at least 1.")
        plan = Plan(
            contacts=0,
            seed=options["seed"],
            chunk=options["chunk"],
            history=not options["no_history"],
            threaded=_can_write_in_a_thread(),
            processes=options["processes"],
        )
        if options.get("as_of"):
            plan.as_of = options["as_of"]
        self.stdout.write(f"Adding {total:,} activities over the existing contacts and deals (seed {plan.seed})…")
        counts = Generator(workspace, plan, log=self.stdout.write).top_up_activities(total)
        for name, value in counts.items():
            self.stdout.write(f"  {value:>12,} {name}")

    def _generate(self, workspace, options) -> None:
        from rapport.ops.generator import Generator, Plan

        if options["contacts"] < 1:
            raise CommandError("--contacts must be at least 1.")
        for name in ("companies", "deals", "orders", "quotes", "chunk"):
            if options.get(name) is not None and options[name] < (1 if name == "chunk" else 0):
                raise CommandError(f"--{name} cannot be {options[name]}.")
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1.")
        if options["activities"] < 0:
            raise CommandError("--activities cannot be negative.")
        plan = Plan(
            contacts=options["contacts"],
            seed=options["seed"],
            companies=options.get("companies"),
            deals=options.get("deals"),
            orders=options.get("orders"),
            quotes=options.get("quotes"),
            activities=options["activities"],
            chunk=options["chunk"],
            history=not options["no_history"],
            threaded=_can_write_in_a_thread(),
            defer_indexes=options["defer_indexes"],
            processes=options["processes"],
        )
        if options.get("as_of"):
            plan.as_of = options["as_of"]
        self.stdout.write(f"Generating {plan.contacts:,} contacts (seed {plan.seed}, as of {plan.as_of})…")
        counts = Generator(workspace, plan, log=self.stdout.write).run()
        for name, value in counts.items():
            self.stdout.write(f"  {value:>12,} {name}")
