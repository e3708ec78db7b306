"""Data in and out, through the real paths: import, export, duplicate scan.

Not request-shaped, so it has no ``BENCHMARKS`` rows for bench/run.py; run it on its own against
the configured DATABASE_URL (it works in a workspace of its own and removes nothing else):

    RAPPORT_ENV=dev DATABASE_URL=... .venv/bin/python bench/bench_imports.py --rows 100000 --export 1000000

Targets from issue #6: a 100,000-row contacts CSV with company linking and e-mail dedupe in
≤ 10 s (PostgreSQL) / ≤ 15 s (SQLite); exporting 1,000,000 contacts to CSV in ≤ 30 s with peak
memory ≤ 300 MB; a duplicate scan over 1,000,000 contacts in ≤ 60 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")

BENCHMARKS: list = []  # nothing for the request harness


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from rapport.core.models import Membership, Workspace
    from rapport.core.permissions import actor_for
    from rapport.core.scoping import audit_context, workspace_scope
    from rapport.duplicates import services as duplicates
    from rapport.exports import services as exports
    from rapport.imports import services as imports

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument(
        "--scale-workspace",
        metavar="SLUG",
        help="also export and scan this (seeded, large) workspace, e.g. demo after seed_demo --contacts 1000000",
    )
    args = parser.parse_args(argv)
    stamp = int(time.time())
    user = get_user_model().objects.create(email=f"bench-{stamp}@example.com", full_name="Bench")
    workspace = Workspace.objects.create(name=f"Bench imports {stamp}", slug=f"bench-imports-{stamp}")
    Membership.objects.create(user=user, workspace=workspace, role="owner")
    lines = [f"Person{i},Row{i},p{i}@example.com,Company {i % 500}" for i in range(args.rows)]
    content = ("First Name,Last Name,Email,Company\n" + "\n".join(lines)).encode()
    with workspace_scope(workspace.pk), audit_context(actor=user, source="import"):
        actor = actor_for(user, workspace)
        run = imports.import_upload(actor=actor, file_name="bench.csv", content=content)
        imports.import_configure(actor=actor, run=run, dedupe_key="email", dedupe_policy="skip")
        imports.import_start(actor=actor, run=run, background=False)
        started = time.perf_counter()
        run = imports.import_execute(actor=actor, run_id=run.pk)
        took = time.perf_counter() - started
        report(f"import {args.rows:,} contacts (company linking, e-mail dedupe)", took, args.rows)
        started = time.perf_counter()
        export = exports.export_request(actor=actor, record_type="contact")
        export = exports.export_build(actor=actor, export_id=export.pk)
        report(f"export {export.row_count:,} contacts to CSV", time.perf_counter() - started, export.row_count)
        started = time.perf_counter()
        groups = duplicates.scan(actor, "contact")
        took = time.perf_counter() - started
        report(f"duplicate scan over {args.rows:,} contacts ({len(groups)} groups)", took, args.rows)
    if args.scale_workspace:
        big = Workspace.objects.get(slug=args.scale_workspace)
        owner = Membership.objects.filter(workspace=big, role="owner").select_related("user").first().user
        with workspace_scope(big.pk), audit_context(actor=owner, source="task"):
            actor = actor_for(owner, big)
            started = time.perf_counter()
            export = exports.export_request(actor=actor, record_type="contact")
            export = exports.export_build(actor=actor, export_id=export.pk)
            report(
                f"export {export.row_count:,} contacts to CSV ({big.slug})",
                time.perf_counter() - started,
                export.row_count,
            )
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            sys.stdout.write(f"peak memory after the export: {peak:,.0f} MB\n")
            started = time.perf_counter()
            groups = duplicates.scan(actor, "contact")
            took = time.perf_counter() - started
            report(
                f"duplicate scan over {export.row_count:,} contacts ({len(groups)} groups shown)",
                took,
                export.row_count,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(f"peak memory of the process: {peak:,.0f} MB\n")


def report(what: str, seconds: float, rows: int) -> None:
    sys.stdout.write(f"{what}: {seconds:.2f} s ({rows / seconds if seconds else 0:,.0f} rows/s)\n")


if __name__ == "__main__":
    main(sys.argv[1:])
