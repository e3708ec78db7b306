"""Run Rapport's benchmarks and print one table; see docs/benchmarks.md.

    make bench                                      # production server (gunicorn) on DATABASE_URL, over HTTP
    make bench BENCH_ARGS="--contacts 100000"       # first top the demo workspace up to that size
    make bench BENCH_ARGS="--only readyz --runs 100"
    make bench BENCH_ARGS="--in-process"            # Django test client, no server
    make bench BENCH_ARGS="--http http://127.0.0.1:8000"   # a server you started yourself

Figures are written to bench/results/<time>-<engine>.json as well.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(ROOT / "src")]

from harness import (  # noqa: E402 - needs the paths above
    BenchmarkError,
    Context,
    HttpRunner,
    InProcessRunner,
    ProductionServer,
    database_settings,
    describe_settings,
    discover,
    measure,
    modules,
    table,
    write_json,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", metavar="BASE_URL", help="benchmark a server you started (same DATABASE_URL)")
    parser.add_argument("--in-process", action="store_true", help="Django's test client instead of a server")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of the server started here")
    parser.add_argument("--contacts", type=int, help="seed the demo workspace up to this many contacts first")
    parser.add_argument("--seed", type=int, default=42, help="generator seed for --contacts")
    parser.add_argument("--engine", help="engine label in HTTP mode (in-process mode reads it from Django)")
    parser.add_argument("--only", default="", help="run the operations whose name contains this text")
    parser.add_argument("--runs", type=int, default=30, help="measured requests per operation (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first (default 3)")
    parser.add_argument("--email", default="owner@demo.rapport.example", help="login of the demo owner")
    parser.add_argument("--password", default=os.environ.get("RAPPORT_DEMO_PASSWORD", "rapport-demo"))
    parser.add_argument("--json", type=Path, help="where to write the JSON (default bench/results/...)")
    parser.add_argument("--no-json", action="store_true", help="print the table only")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser.parse_args(argv)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()


def in_process_context(email: str) -> Context:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from rapport.core.models import Membership

    owner = get_user_model().objects.filter(email=email).first()
    membership = Membership.objects.filter(user=owner).select_related("workspace").first() if owner else None
    if membership is None:
        raise BenchmarkError(f"No user {email} with a workspace: run `manage.py seed_demo` first.")
    return Context(engine=connection.vendor, owner=owner, workspace=membership.workspace)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ensure_size(contacts: int, seed: int) -> None:
    """Top the demo workspace up to ``contacts`` contacts with the data generator (seed_demo --contacts)."""
    from django.core.management import call_command

    from rapport.contacts.models import Contact
    from rapport.core.demo import DEMO_SLUG
    from rapport.core.models import Workspace
    from rapport.core.scoping import unscoped

    with unscoped():
        workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
        have = Contact.all_objects.filter(workspace=workspace).count() if workspace else 0
    if have < contacts:
        print(f"Seeding {contacts - have:,} more contacts (have {have:,})…", file=sys.stderr)
        call_command("seed_demo", contacts=contacts - have, seed=seed + have)


def prepare(context: Context, only: str) -> None:
    """Each bench module's optional ``prepare(context)`` (e.g. the sales board's pipeline)."""
    for module in modules():
        hook = getattr(module, "prepare", None)
        if hook and (not only or any(only in b.operation for b in getattr(module, "BENCHMARKS", []))):
            hook(context)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = None
    if args.http and args.in_process:
        raise BenchmarkError("--http and --in-process exclude each other.")
    setup_django()
    if args.contacts:
        ensure_size(args.contacts, args.seed)
    context = in_process_context(args.email)
    if args.engine:
        context.engine = args.engine
    prepare(context, args.only)
    if args.in_process:
        runner = InProcessRunner(context)
    else:
        base_url = args.http
        if not base_url:
            server = ProductionServer(workers=args.workers)
            base_url = server.start()
        runner = HttpRunner(base_url, args.email, args.password, context, counter=InProcessRunner(context))
    try:
        return run(args, context, runner, server)
    finally:
        if server is not None:
            server.stop()


def run(args: argparse.Namespace, context: Context, runner, server) -> int:
    benchmarks = [b for b in discover() if args.only in b.operation]
    if args.list:
        print("\n".join(b.operation for b in benchmarks))
        return 0
    if not benchmarks:
        print(f"No benchmark matches {args.only!r}.", file=sys.stderr)
        return 2
    results = []
    for benchmark in benchmarks:
        print(f"… {benchmark.operation}", file=sys.stderr)
        # A benchmark of a function, not a page (bench_activities' reminder sweep), brings its own runner.
        own = getattr(benchmark, "runner", None)
        results.append(measure(benchmark, own(context) if own else runner, context, runs=args.runs, warmup=args.warmup))
    print(table(results))
    settings = database_settings()
    if settings:
        print(f"PostgreSQL: {describe_settings(settings)}")
    if not args.no_json:
        now = datetime.now(UTC)
        path = args.json or BENCH_DIR / "results" / f"{now:%Y%m%dT%H%M%SZ}-{context.engine}.json"
        meta = {
            "at": now.isoformat(),
            "mode": "in-process" if args.in_process else "http",
            "server": None
            if args.in_process or args.http
            else f"gunicorn, {args.workers} workers, production settings",
            "base_url": None if args.in_process else getattr(runner, "base_url", None),
            "engine": context.engine,
            "commit": git_commit(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "runs": args.runs,
            "warmup": args.warmup,
            "database_settings": settings,
        }
        print(f"\nWrote {write_json(results, path, meta).relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchmarkError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
