"""Global search: through the API with the demo data (bench/run.py), or standalone at scale.

Standalone, against DATABASE_URL (use a scratch database: it adds rows to a "bench-search" workspace)::

    python bench/bench_search.py --rows 100000                 # SQLite (the default database)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/rapport_bench python bench/bench_search.py --rows 1000000

It seeds ``--rows`` search-index entries in bulk (names, emails, phones, company domains), then
times the engine query plus ranking — the part that grows with the data — for name fragments,
emails, phones in a typed format and typos, and prints median and p95 per kind. The permission
re-check after it is one primary-key lookup of at most 3 x limit ids per record type.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

from harness import Benchmark

BENCH_DIR = Path(__file__).resolve().parent
# Budgets: about 15 queries are the request itself (session, membership, the API throttle in the
# database cache); search adds 1-3 engine queries and one permission re-check per record type hit.
BENCHMARKS = [
    Benchmark(
        "GET /api/v1/search/?q=north (name fragment)",
        "/api/v1/search/?q=north",
        as_user="owner",
        target_ms=100,
        max_queries=24,
    ),
    Benchmark(
        "GET /api/v1/search/?q=@demo (email)",
        "/api/v1/search/?q=%40demo",
        as_user="owner",
        target_ms=100,
        max_queries=24,
    ),
    Benchmark(
        "GET /api/v1/search/?q=+1 (555) 010 (phone)",
        "/api/v1/search/?q=%2B1%20(555)%20010",
        as_user="owner",
        target_ms=100,
        max_queries=24,
    ),
    Benchmark(
        "GET /search/palette/?q=jo (palette)", "/search/palette/?q=jo", as_user="owner", target_ms=100, max_queries=14
    ),
]

FIRST = (  # noqa: SIM905 - a word list reads better as text
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa Matthew Betty Anthony "
    "Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth "
    "Dorothy Kevin Carol Brian Amanda George Melissa Edward Deborah Ronald Stephanie Timothy Rebecca "
    "Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Shirley Eric Angela "
    "Jonathan Helen Stephen Anna Larry Brenda Justin Pamela Scott Nicole Brandon Emma Benjamin Samantha "
    "Samuel Katherine Gregory Christine Frank Debra Alexander Rachel Raymond Catherine Patrick Carolyn "
    "Jack Janet Dennis Ruth Jerry Maria Tyler Heather Aaron Diane Jose Virginia Adam Julie Henry Joyce "
    "Nathan Victoria Douglas Olivia Zachary Kelly Peter Christina Kyle Lauren Walter Joan Ethan Evelyn "
    "Jeremy Judith Harold Megan Keith Cheryl Christian Andrea Roger Hannah Noah Martha Gerald Jacqueline "
    "Carl Frances Terry Gloria Sean Ann Austin Teresa Arthur Kathryn Lawrence Sara Jesse Janice Dylan "
    "Jean Bryan Alice Joe Madison"
).split()
LAST = (  # noqa: SIM905 - a word list reads better as text
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez "
    "Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole "
    "Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens "
    "Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker "
    "Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz "
    "Hunt Hicks Holmes Palmer Wagner Black Robertson"
).split()
WORDS = (  # noqa: SIM905 - a word list reads better as text
    "acme globex initech umbrella stark wayne wonka hooli vandelay soylent cyberdyne tyrell aperture"
).split()


def seed(workspace, content_type, rows: int, *, batch: int = 5000, rng: random.Random) -> None:
    """Insert ``rows`` more entries (object ids continue from the existing ones)."""
    from rapport.search.index import fold, record_words
    from rapport.search.models import SearchEntry

    start = SearchEntry.objects.filter(content_type=content_type).count()
    made = 0
    began = time.perf_counter()
    while made < rows:
        entries = []
        for n in range(start + made, start + min(made + batch, rows)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{rng.choice(WORDS)}{n % 9973}"
            email = f"{first}.{last}{n}@{company}.example".lower()
            phone = f"1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            title = f"{first} {last}"
            entries.append(
                SearchEntry(
                    workspace=workspace,
                    content_type=content_type,
                    object_id=n + 1,
                    title=title,
                    title_key=fold(title),
                    subtitle=email,
                    body=fold(f"{company} customer since {2000 + n % 25} {company}.example"),
                    emails=email,
                    email_key=email,
                    phones=phone,
                    domains=f"{company}.example",
                )
            )
        SearchEntry.objects.bulk_create(entries, batch_size=batch)
        record_words(entries)
        made += len(entries)
        if made % (batch * 20) == 0 or made == rows:
            rate = made / (time.perf_counter() - began)
            print(f"  seeded {made:,}/{rows:,} entries ({rate:,.0f}/s)", flush=True)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def queries(kind: str, sample: list[dict], rng: random.Random) -> str:
    row = rng.choice(sample)
    if kind == "name fragment":
        last = row["last"].lower()
        start = rng.randrange(0, max(1, len(last) - 4))
        return last[start : start + 4]
    if kind == "first + last name":
        return f"{row['first']} {row['last']}"
    if kind == "email":
        return row["email"]
    if kind == "phone":
        p = row["phone"]
        return f"+{p[0]} ({p[1:4]}) {p[4:7]}-{p[7:]}"
    if kind == "domain":
        return row["email"].split("@")[1]
    if kind == "typo":
        return f"{typo(row['first'], rng)} {typo(row['last'], rng)}"
    return row["first"][:2].lower()  # short: a prefix of the name


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    from rapport.core.models import Workspace
    from rapport.core.scoping import unscoped
    from rapport.search.engines import engine
    from rapport.search.matching import parse, rank
    from rapport.search.models import SearchEntry

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    with unscoped():
        workspace, _ = Workspace.objects.get_or_create(slug="bench-search", defaults={"name": "Search benchmark"})
        content_type, _ = ContentType.objects.get_or_create(app_label="bench", model="searchrecord")
        existing = SearchEntry.objects.filter(workspace=workspace).count()
        if args.reset and existing:
            SearchEntry.objects.filter(workspace=workspace).delete()
            existing = 0
        print(
            f"{connection.vendor}: {existing:,} entries in the bench workspace; seeding {args.rows - existing:,} more"
        )
        seed(workspace, content_type, max(args.rows - existing, 0), rng=rng)
        total = SearchEntry.objects.filter(workspace=workspace).count()
        picked = rng.sample(range(1, total + 1), min(500, total))
        sample = [
            {"first": r.title.split()[0], "last": r.title.split()[-1], "email": r.emails, "phone": r.phones}
            for r in SearchEntry.objects.filter(content_type=content_type, object_id__in=picked)
        ]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE search_searchentry")
        search_engine = engine()
        print(f"\nengine: {connection.vendor}, entries: {total:,}, runs per kind: {args.runs}\n")
        print(f"{'query kind':<18} {'median ms':>10} {'p95 ms':>8} {'found %':>8}  example")
        for kind in ("name fragment", "first + last name", "email", "phone", "domain", "typo", "short (2 chars)"):
            times, found = [], 0
            example = ""
            for i in range(args.runs + 3):
                text = queries(kind, sample, rng)
                started = time.perf_counter()
                pq = parse(text, "US")
                hits = rank(
                    pq,
                    search_engine.candidates(
                        pq, workspace_id=workspace.pk, content_type_ids=[content_type.pk], limit=60
                    ),
                )
                elapsed = (time.perf_counter() - started) * 1000
                if i >= 3:  # warm-up
                    times.append(elapsed)
                    found += bool(hits)
                    example = example or text
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(
                f"{kind:<18} {statistics.median(times):>10.1f} {p95:>8.1f} {100 * found / len(times):>7.0f}%  {example}"
            )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="entries in the bench workspace (default 100000)")
    parser.add_argument("--runs", type=int, default=50, help="timed queries per kind (default 50)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reset", action="store_true", help="delete the bench workspace's entries first")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(BENCH_DIR.parent / "src"), str(BENCH_DIR.parent)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
