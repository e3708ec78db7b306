"""Load test: locust, headless, against a local production server on DATABASE_URL; see docs/benchmarks.md.

    make loadtest                                   # 50 users on PostgreSQL / 20 on SQLite, 60 s
    make loadtest LOADTEST_ARGS="--users 50 --seconds 120 --workers 4"

It starts ``manage.py serve`` (gunicorn, production settings) on a free port of 127.0.0.1, picks
records of the demo workspace for the mix (bench/locustfile.py), runs locust for a bounded time,
stops the server, and writes bench/results/<time>-loadtest-<engine>.json (plus locust's CSV files)
with the figures per request type and the verdict: p95 ≤ 300 ms and no errors on PostgreSQL,
no "database is locked" on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(ROOT / "src")]

from harness import BenchmarkError, ProductionServer, database_settings, describe_settings  # noqa: E402 - needs the paths above

P95_TARGET_MS = 300
LOCKED = "database is locked"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, help="concurrent users (default 50 on PostgreSQL, 20 on SQLite)")
    parser.add_argument("--seconds", type=int, default=60, help="run time after the ramp-up (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument(
        "--think",
        type=think_range,
        default=(2.0, 8.0),
        help="pause between one user's clicks, MIN,MAX seconds (default 2,8: reading the page; 0.5,2 = stress)",
    )
    parser.add_argument("--password", default=os.environ.get("RAPPORT_DEMO_PASSWORD", "rapport-demo"))
    return parser.parse_args(argv)


def think_range(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX seconds such as 2,8, got {text!r}") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX, got {text!r}")
    return low, high


def pick_data(path: Path, password: str) -> dict:
    """Ids the simulated users visit, all visible to the demo owner and admin."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from rapport.contacts.models import Company, Contact
    from rapport.core.demo import DEMO_OWNER_EMAIL, DEMO_SLUG
    from rapport.core.models import Workspace
    from rapport.core.scoping import workspace_scope
    from rapport.sales.models import Deal, Pipeline

    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    with workspace_scope(workspace.pk):
        contacts = list(Contact.objects.order_by("-created_at").values_list("pk", flat=True)[:400])
        companies = list(Company.objects.order_by("-created_at").values_list("pk", flat=True)[:200])
        deals = list(Deal.objects.order_by("-created_at").values_list("pk", flat=True)[:400])
        pipeline = (
            Pipeline.objects.annotate(open=Count("deals", filter=models_q_open()))
            .filter(open__gt=0)
            .order_by("-open")
            .first()
        )
        stages = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
        board = list(Deal.objects.filter(pipeline=pipeline, status="open").values_list("pk", flat=True)[:200])
        names = list(Contact.objects.order_by("?").values_list("last_name", "primary_email")[:100])
    terms = [n for n, _ in names if n] + [e.split("@")[0] for _, e in names if e]
    data = {
        "engine": connection.vendor,
        "database_settings": database_settings(),
        "contacts": contacts,
        "companies": companies,
        "deals": deals,
        "editable_contacts": contacts[:200],
        "board_pipeline": pipeline.pk,
        "board_deals": [(pk, stages) for pk in board],
        "terms": terms or ["demo"],
        "logins": [DEMO_OWNER_EMAIL, DEMO_OWNER_EMAIL.replace("owner@", "admin@")],
        "password": password,
        "records": Contact.objects.filter(workspace=workspace).count(),
    }
    path.write_text(json.dumps(data))
    return data


def models_q_open():
    from django.db.models import Q

    return Q(deals__status="open", deals__deleted_at__isnull=True)


def open_sessions(base_url: str, emails: list[str], password: str) -> list[dict[str, str]]:
    """Log in once per account (as a browser would have) and hand the cookies to the simulated users."""
    from harness import Context, HttpRunner

    sessions = []
    for email in emails:
        runner = HttpRunner(base_url, email, password, Context(engine="-"))
        _opener, jar = runner.opener("owner")
        sessions.append({c.name: c.value for c in jar if c.name in ("sessionid", "csrftoken")})
    return sessions


def read_stats(prefix: Path) -> tuple[list[dict], list[dict]]:
    stats_file, failures_file = Path(f"{prefix}_stats.csv"), Path(f"{prefix}_failures.csv")
    stats = list(csv.DictReader(stats_file.open())) if stats_file.exists() else []
    failures = list(csv.DictReader(failures_file.open())) if failures_file.exists() else []
    return stats, failures


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    now = datetime.now(UTC)
    results = BENCH_DIR / "results"
    results.mkdir(exist_ok=True)
    data_file = results / ".loadtest-data.json"
    data = pick_data(data_file, args.password)
    engine = data["engine"]
    users = args.users or (50 if engine == "postgresql" else 20)
    stem = f"{now:%Y%m%dT%H%M%SZ}-loadtest-{engine}"
    server = ProductionServer(workers=args.workers, threads=args.threads, log=results / f"{stem}-server.log")
    base_url = server.start()
    try:
        data["sessions"] = open_sessions(base_url, data["logins"], args.password)
    except BenchmarkError:
        server.stop()
        raise
    data_file.write_text(json.dumps(data))
    prefix = results / stem
    command = [
        sys.executable, "-m", "locust", "-f", str(BENCH_DIR / "locustfile.py"), "--headless",
        "--host", base_url, "--users", str(users), "--spawn-rate", str(max(1, users // 5)),
        "--run-time", f"{args.seconds + 5}s", "--stop-timeout", "10", "--csv", str(prefix), "--only-summary",
        "--loglevel", "WARNING", "--reset-stats",
    ]  # fmt: skip
    pause = f"{args.think[0]:g}-{args.think[1]:g} s between clicks"
    print(f"locust: {users} users ({pause}) for {args.seconds} s against {base_url} ({engine})…", file=sys.stderr)
    try:
        done = subprocess.run(
            command,
            env=os.environ | {"LOADTEST_DATA": str(data_file), "LOADTEST_THINK": "{},{}".format(*args.think)},
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        server.stop()
    stats, failures = read_stats(prefix)
    if not stats:
        raise BenchmarkError(f"locust wrote no statistics: {done.stderr[-2000:]}")
    server_log = server.log.read_text(errors="replace")
    locked = server_log.count(LOCKED) + sum(LOCKED in row.get("Error", "") for row in failures)
    rows = [
        {
            "request": row["Name"],
            "method": row["Type"],
            "count": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "median_ms": float(row["Median Response Time"] or 0),
            "p95_ms": float(row["95%"] or 0) if row.get("95%") not in ("", "N/A") else None,
            "max_ms": float(row["Max Response Time"] or 0),
            "rps": round(float(row["Requests/s"] or 0), 2),
        }
        for row in stats
    ]
    total = next(r for r in rows if r["request"] == "Aggregated")
    errors = total["failures"]
    met = total["p95_ms"] is not None and total["p95_ms"] <= P95_TARGET_MS and errors == 0 and locked == 0
    verdict = {
        "target": f"p95 ≤ {P95_TARGET_MS} ms, no errors, no '{LOCKED}'",
        "p95_ms": total["p95_ms"],
        "errors": errors,
        "database_locked": locked,
        "met": met,
    }
    report = {
        "meta": {
            "at": now.isoformat(),
            "engine": engine,
            "users": users,
            "seconds": args.seconds,
            "think_seconds": list(args.think),
            "server": f"gunicorn, {args.workers} workers x {args.threads} threads, production settings",
            "contacts": data["records"],
            "database_settings": data["database_settings"],
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "requests": rows,
        "failures": failures,
        "verdict": verdict,
    }
    path = results / f"{stem}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(rows))
    print(
        f"\n{engine}, {users} users ({pause}), "
        f"{data['records']:,} contacts: {total['rps']:.1f} req/s, p95 {total['p95_ms']} ms, {errors} errors, "
        f"{locked} 'database is locked' -> target {'met' if met else 'NOT met'} ({verdict['target']})"
    )
    if data["database_settings"]:
        print(f"PostgreSQL: {describe_settings(data['database_settings'])}")
    print(f"Wrote {path.relative_to(ROOT)}")
    return 0 if met else 1


def table(rows: list[dict]) -> str:
    head = ("request", "count", "fails", "median ms", "p95 ms", "max ms", "req/s")
    body = [
        (
            r["request"],
            str(r["count"]),
            str(r["failures"]),
            f"{r['median_ms']:.0f}",
            f"{r['p95_ms'] or 0:.0f}",
            f"{r['max_ms']:.0f}",
            f"{r['rps']:.1f}",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(b) for b in body)])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchmarkError as error:
        print(f"loadtest: {error}", file=sys.stderr)
        sys.exit(2)
