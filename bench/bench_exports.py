"""Exports and the duplicate scan at scale, through the real services, against a seeded workspace.

Not request-shaped, so it has no ``BENCHMARKS`` rows for bench/run.py. Run it against a workspace
seeded with ``seed_demo --contacts N``::

    RAPPORT_ENV=development DATABASE_URL=... PYTHONPATH=src \\
        .venv/bin/python -u bench/bench_exports.py --workspace demo [--only export|scan]

Targets from issue #6: exporting 1,000,000 contacts to CSV in ≤ 30 s with peak memory ≤ 300 MB;
a duplicate scan over 1,000,000 contacts in ≤ 60 s.

The export is built the way the background task builds it (an ``ExportRun`` row, then
``export_build``); its file is removed afterwards (the row stays, marked as a benchmark run) so
repeated runs do not fill the disk. Nothing else in the workspace is written.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
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


def _rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process (user + system): less sensitive than wall time to other load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def _profiled(profile: str | None, call):
    if not profile:
        return call()
    profiler = cProfile.Profile()
    result = profiler.runcall(call)
    profiler.dump_stats(profile)
    pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(20)
    return result


def _engine() -> str:
    from django.db import connection

    return connection.vendor


def bench_export(actor, args) -> None:
    from django.db import connection

    from rapport.exports import services as exports
    from rapport.exports.models import ExportRun, ExportStatus

    spec_columns = args.columns.split(",") if args.columns else []
    if args.columns == "all":
        from rapport.contacts import selectors

        spec_columns = list(selectors.list_spec(args.record_type, actor).columns)
    run = ExportRun(
        workspace_id=actor.workspace.pk,
        owner_id=actor.user.pk,
        record_type=args.record_type,
        format=args.format,
        filters=args.filter or [],
        columns=spec_columns,
    )
    _, run.columns, _ = exports._queryset(actor, run)
    run.save()
    baseline = _current_rss_mb()
    queries_before = len(connection.queries)
    started, cpu = time.perf_counter(), _cpu()
    run = _profiled(args.profile, lambda: exports.export_build(actor=actor, export_id=run.pk))
    took, cpu = time.perf_counter() - started, _cpu() - cpu
    size = run.file.size if run.file else 0
    plural = exports.MODELS[args.record_type]._meta.verbose_name_plural
    sys.stdout.write(
        f"export {run.row_count:,} {plural} to {args.format.upper()} "
        f"[{_engine()}; columns: {','.join(run.columns)}]: {took:.2f} s "
        f"({run.row_count / took if took else 0:,.0f} rows/s; {cpu:.1f} s CPU in Python), file {size / 2**20:,.1f} MB, "
        f"peak RSS {_rss_mb():,.0f} MB (RSS before the export {baseline:,.0f} MB)"
        + (f", {len(connection.queries) - queries_before} queries" if connection.queries else "")
        + "\n"
    )
    if not args.keep_file and run.file:
        run.file.delete(save=False)
        ExportRun.all_objects.filter(pk=run.pk).update(
            file="", status=ExportStatus.FAILED, message="Benchmark run: file removed."
        )


def bench_scan(actor, args) -> None:
    from rapport.core.permissions import visible
    from rapport.duplicates import services as duplicates

    model = duplicates.MODELS[args.record_type]
    count, plural = visible(model.objects.all(), actor).count(), model._meta.verbose_name_plural
    started, cpu = time.perf_counter(), _cpu()
    groups = _profiled(args.profile, lambda: duplicates.scan(actor, args.record_type, limit=args.limit))
    took, cpu = time.perf_counter() - started, _cpu() - cpu
    sys.stdout.write(
        f"duplicate scan over {count:,} {plural} [{_engine()}], as the page/API run it "
        f"(limit {args.limit}): {took:.2f} s ({cpu:.1f} s CPU in Python), {_summary(groups)}, "
        f"peak RSS {_rss_mb():,.0f} MB\n"
    )
    if not args.full:
        return
    started, cpu = time.perf_counter(), _cpu()
    groups = list(duplicates.find_groups(actor, args.record_type))
    took, cpu = time.perf_counter() - started, _cpu() - cpu
    sys.stdout.write(
        f"duplicate detection over {count:,} {plural} [{_engine()}], every group (ids, no records): "
        f"{took:.2f} s ({cpu:.1f} s CPU in Python), {_summary(groups)}, peak RSS {_rss_mb():,.0f} MB\n"
    )


def _summary(groups) -> str:
    reasons: dict[str, int] = {}
    for group in groups:
        reasons[group.reason] = reasons.get(group.reason, 0) + 1
    records = {i for g in groups for i in g.ids}
    pairs = sum(len(g.ids) * (len(g.ids) - 1) // 2 for g in groups)
    shown = ", ".join(f"{reason}: {n:,}" for reason, n in reasons.items()) or "none"
    return f"{len(groups):,} groups ({shown}), {len(records):,} records in them, {pairs:,} pairs"


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from rapport.core.models import Membership, Workspace
    from rapport.core.permissions import actor_for
    from rapport.core.scoping import audit_context, workspace_scope

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", required=True, metavar="SLUG", help="a seeded workspace, e.g. demo")
    parser.add_argument("--only", choices=("export", "scan"))
    parser.add_argument("--record-type", choices=("contact", "company"), default="contact")
    parser.add_argument("--format", choices=("csv", "xlsx", "vcf"), default="csv")
    parser.add_argument("--columns", help="comma-separated column keys, or 'all' (default: the list's defaults)")
    parser.add_argument("--filter", action="append", help="a list filter, e.g. lifecycle_stage:eq:customer")
    parser.add_argument("--limit", type=int, default=200, help="groups the scan returns (API: 200, page: 100)")
    parser.add_argument("--full", action="store_true", help="also find every duplicate group (ids only)")
    parser.add_argument("--profile", metavar="FILE", help="run under cProfile, save the stats there, print the top")
    parser.add_argument("--keep-file", action="store_true", help="keep the export file (default: removed)")
    args = parser.parse_args(argv)

    workspace = Workspace.objects.get(slug=args.workspace)
    membership = Membership.objects.filter(workspace=workspace, role="owner").select_related("user").first()
    if membership is None:
        raise SystemExit(f"Workspace {args.workspace!r} has no owner to act as.")
    owner = membership.user
    load = os.getloadavg()
    sys.stdout.write(
        f"engine {_engine()}, workspace {workspace.slug}, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    with workspace_scope(workspace.pk), audit_context(actor=owner, source="task"):
        actor = actor_for(owner, workspace)
        if args.only in (None, "export"):
            bench_export(actor, args)
        if args.only in (None, "scan"):
            bench_scan(actor, args)
    sys.stdout.write(f"peak RSS of the process: {_rss_mb():,.0f} MB\n")


if __name__ == "__main__":
    main(sys.argv[1:])
