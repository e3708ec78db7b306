"""Contacts and companies at scale: list pages (first, filtered, deep cursor), record page, API list.

Seed with the data generator (``manage.py seed_demo --contacts N`` or ``bench/run.py --contacts N``),
or with the lighter seed below (set-based inserts in chunks, into the demo workspace)::

    .venv/bin/python bench/bench_contacts.py seed --contacts 100000 --companies 20000
    .venv/bin/python bench/run.py --only contacts

The seed writes rows the way the bulk paths would (companies, domains, contacts, primary emails
and phones, a tag on every tenth contact) but no History or search entries: the figures here are
for lists and record pages, which read neither for other records.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from harness import Benchmark, Context

CHUNK = 5000
BENCH_TAG = "VIP"  # also one of the tags of the data generator (rapport.ops.generator)
STAGES = ("subscriber", "lead", "marketing_qualified", "sales_qualified", "opportunity", "customer", "evangelist")


def _workspace(context: Context):
    """The demo workspace; in HTTP mode Django is set up here (same DATABASE_URL as the server)."""
    if context.workspace is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
        import django

        django.setup()
        from rapport.core.demo import DEMO_SLUG
        from rapport.core.models import Workspace

        context.workspace = Workspace.objects.get(slug=DEMO_SLUG)
    return context.workspace


def _counts(context: Context) -> str:
    _workspace(context)
    if "contacts_counts" not in context.cache:
        from rapport.contacts.models import Company, Contact
        from rapport.core.scoping import workspace_scope

        with workspace_scope(context.workspace.pk):
            context.cache["contacts_counts"] = (
                f"{Contact.objects.count():,} contacts / {Company.objects.count():,} companies"
            )
    return context.cache["contacts_counts"]


def _filtered(context: Context) -> str:
    return f"/contacts/?filter=owner:eq:me&filter=lifecycle_stage:eq:customer&filter=tags:has:{BENCH_TAG}"


def _deep_cursor(context: Context) -> str:
    """A cursor halfway down the newest-first list (OFFSET only here, once, to find the row)."""
    if "deep_cursor" not in context.cache:
        _workspace(context)
        from rapport.contacts.listing import SortKey, encode_cursor
        from rapport.contacts.models import Contact
        from rapport.core.scoping import workspace_scope

        with workspace_scope(context.workspace.pk):
            total = Contact.objects.count()
            row = Contact.objects.order_by("-created_at", "-id")[total // 2 : total // 2 + 1].get()
        keys = [SortKey("created_at", desc=True), SortKey("id", desc=True)]
        context.cache["deep_cursor"] = encode_cursor("-created_at", keys, row)
    return f"/contacts/?cursor={context.cache['deep_cursor']}"


def _record(context: Context) -> str:
    if "record_pk" not in context.cache:
        _workspace(context)
        from rapport.contacts.models import Contact
        from rapport.core.scoping import workspace_scope

        with workspace_scope(context.workspace.pk):
            context.cache["record_pk"] = (
                Contact.objects.exclude(company=None).order_by("-created_at").values_list("pk", flat=True).first()
            )
    return f"/contacts/{context.cache['record_pk']}/"


BENCHMARKS = [
    Benchmark(
        "contacts list, first page (50, newest first)",
        "/contacts/",
        as_user="owner",
        target_ms=50,
        max_queries=15,
        records=_counts,
    ),
    Benchmark(
        "contacts list filtered by owner + lifecycle + tag",
        _filtered,
        as_user="owner",
        target_ms=80,
        max_queries=16,
        records=_counts,
    ),
    Benchmark(
        "contacts list, deep page by cursor",
        _deep_cursor,
        as_user="owner",
        target_ms=50,
        max_queries=15,
        records=_counts,
    ),
    Benchmark("contact record page", _record, as_user="owner", target_ms=60, max_queries=30, records=_counts),
    Benchmark("API GET /api/v1/contacts/ (50)", "/api/v1/contacts/", as_user="owner", target_ms=80, records=_counts),
    Benchmark("companies list, first page", "/companies/", as_user="owner", target_ms=50, records=_counts),
]


# --- seeding ----------------------------------------------------------------------------------------


def seed(contacts: int, companies: int) -> None:
    """Top the demo workspace up to ``contacts`` / ``companies`` rows with set-based inserts."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from rapport.contacts.models import Company, CompanyDomain, Contact, EmailAddress
    from rapport.core.demo import DEMO_SLUG
    from rapport.core.models import Workspace
    from rapport.core.scoping import workspace_scope
    from rapport.tags.models import Tag, TaggedItem

    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    users = list(get_user_model().objects.filter(memberships__workspace=workspace).values_list("pk", flat=True))
    rng = random.Random(7)
    now = timezone.now()
    started = time.monotonic()
    with workspace_scope(workspace.pk):
        tag, _ = Tag.objects.get_or_create(name=BENCH_TAG)
        have = Company.objects.count()
        company_ids = list(Company.objects.values_list("pk", flat=True)[:companies])
        for start in range(have, companies, CHUNK):
            size = min(CHUNK, companies - start)
            with transaction.atomic():
                rows = Company.objects.bulk_create(
                    [
                        Company(
                            workspace=workspace,
                            name=f"Bench Company {start + i:07d}",
                            primary_domain=f"bench{start + i}.example",
                            owner_id=users[(start + i) % len(users)],
                            lifecycle_stage=STAGES[(start + i) % len(STAGES)],
                            created_at=now - timedelta(seconds=start + i),
                            updated_at=now - timedelta(seconds=start + i),
                        )
                        for i in range(size)
                    ]
                )
                CompanyDomain.objects.bulk_create(
                    [
                        CompanyDomain(workspace=workspace, company=c, domain=c.primary_domain, is_primary=True)
                        for c in rows
                    ]
                )
            company_ids += [c.pk for c in rows]
            print(f"companies: {start + size:,} ({time.monotonic() - started:.0f}s)", file=sys.stderr)
        have = Contact.objects.count()
        content_type = ContentType.objects.get_for_model(Contact)
        for start in range(have, contacts, CHUNK):
            size = min(CHUNK, contacts - start)
            with transaction.atomic():
                rows = Contact.objects.bulk_create(
                    [
                        Contact(
                            workspace=workspace,
                            first_name=f"First{(start + i) % 997}",
                            last_name=f"Last{(start + i) % 7919:04d}",
                            job_title="Engineer",
                            company_id=rng.choice(company_ids) if company_ids else None,
                            owner_id=users[(start + i) % len(users)],
                            lifecycle_stage=rng.choice(STAGES),
                            primary_email=f"person{start + i}@bench.example",
                            primary_phone=f"+1555{start + i:07d}",
                            created_at=now - timedelta(seconds=start + i, milliseconds=1),
                            updated_at=now - timedelta(seconds=start + i),
                        )
                        for i in range(size)
                    ]
                )
                EmailAddress.objects.bulk_create(
                    [EmailAddress(workspace=workspace, contact=c, email=c.primary_email, is_primary=True) for c in rows]
                )
                TaggedItem.objects.bulk_create(
                    [
                        TaggedItem(workspace=workspace, tag=tag, content_type=content_type, object_id=c.pk)
                        for c in rows
                        if c.pk % 10 == 0
                    ]
                )
            print(f"contacts: {start + size:,} ({time.monotonic() - started:.0f}s)", file=sys.stderr)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Seed contacts and companies for the benchmarks.")
    parser.add_argument("command", choices=["seed"])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=20_000)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(root / "src")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    seed(args.contacts, args.companies)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
