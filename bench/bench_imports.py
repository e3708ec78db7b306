"""Data in and out, through the real paths: import, export, duplicate scan.

Not request-shaped, so it has no ``BENCHMARKS`` rows for bench/run.py; run it on its own against
the configured DATABASE_URL (it works in a workspace of its own and removes nothing else):

    RAPPORT_ENV=development DATABASE_URL=... .venv/bin/python bench/bench_imports.py --rows 100000

``--imports-only`` skips the export and the scan, ``--no-dry-run`` the dry run, ``--policy`` picks the
dedupe policy, ``--undo`` also times the undo, ``--per-row`` takes the per-row path instead of the
batched one, ``--profile FILE`` writes a cProfile of the run (read it with ``python -m pstats``).
The import goes through the real path: upload (read + suggested mapping), dry run, run in chunks.
The CSV has a company column (500 distinct names, linked or created) and every 20th row repeats
an earlier row's e-mail (deduped by the chosen policy).

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
# as in production: with DEBUG on, Django logs (and on SQLite quotes) every value of every statement
os.environ.setdefault("DEBUG", "0")

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
    parser.add_argument("--imports-only", action="store_true", help="skip the export and the duplicate scan")
    parser.add_argument("--no-dry-run", action="store_true", help="skip the dry run before the run")
    parser.add_argument("--policy", choices=["skip", "update", "create"], default="skip")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the run to FILE")
    parser.add_argument("--undo", action="store_true", help="also time undoing the import")
    parser.add_argument("--per-row", action="store_true", help="the per-row path (IMPORT_BATCHED = False), to compare")
    args = parser.parse_args(argv)
    if args.per_row:
        from django.conf import settings

        settings.IMPORT_BATCHED = False
    stamp = int(time.time())
    user = get_user_model().objects.create(email=f"bench-{stamp}@example.com", full_name="Bench")
    workspace = Workspace.objects.create(name=f"Bench imports {stamp}", slug=f"bench-imports-{stamp}")
    Membership.objects.create(user=user, workspace=workspace, role="owner")
    lines = [
        f"Person{i},Row{i},p{i - 7 if i % 20 == 19 else i}@example.com,Company {i % 500}" for i in range(args.rows)
    ]
    content = ("First Name,Last Name,Email,Company\n" + "\n".join(lines)).encode()
    with workspace_scope(workspace.pk), audit_context(actor=user, source="import"):
        actor = actor_for(user, workspace)
        total = time.perf_counter()
        started = time.perf_counter()
        run = imports.import_upload(actor=actor, file_name="bench.csv", content=content)
        imports.import_configure(actor=actor, run=run, dedupe_key="email", dedupe_policy=args.policy)
        report(f"import: read and map {args.rows:,} rows", time.perf_counter() - started, args.rows)
        if not args.no_dry_run:
            started = time.perf_counter()
            dry = imports.import_dry_run(actor=actor, run=run)
            counts = ", ".join(f"{dry[k]:,} {k}" for k in ("created", "updated", "skipped", "error"))
            report(f"import: dry run of {args.rows:,} rows ({counts})", time.perf_counter() - started, args.rows)
        imports.import_start(actor=actor, run=run, background=False)
        started = time.perf_counter()
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            run = profiler.runcall(imports.import_execute, actor=actor, run_id=run.pk)
            profiler.dump_stats(args.profile)
        else:
            run = imports.import_execute(actor=actor, run_id=run.pk)
        took = time.perf_counter() - started
        counts = f"{run.created_count:,} created, {run.updated_count:,} updated, {run.skipped_count:,} skipped"
        report(f"import: run of {args.rows:,} contacts, company linking, e-mail dedupe ({counts})", took, args.rows)
        report(f"import {args.rows:,} contacts in total (read + dry run + run)", time.perf_counter() - total, args.rows)
        if args.undo:
            started = time.perf_counter()
            result = imports.import_undo(actor=actor, run=run)
            report(f"import: undo ({result['removed']:,} records removed)", time.perf_counter() - started, args.rows)
        from rapport.ops.bulk import totals

        for table, (written, seconds) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
            sys.stdout.write(f"  bulk writes to {table}: {written:,} rows in {seconds:.2f} s (dry run included)\n")
        if args.imports_only:
            return
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
