"""A deterministic, realistic data generator for load tests and benchmarks (``seed_demo --contacts N``).

Given the same ``seed``, ``as_of`` date and starting database, it writes the same rows. It adds to
the demo workspace (made by the plain ``seed_demo`` first) and uses its users, pipelines, lost
reasons and products:

* companies (N / 8) with a domain, an office address, a phone, an account tier (custom field);
* contacts (N) from nine countries with names, e-mail addresses at their company's domain,
  phones in E.164, some home addresses, tags; companies get contacts with a long tail (a few
  have thousands, most have a handful, one in six contacts has none);
* deals (N / 5) across the pipelines with stage history, realistic win rates (about a quarter of
  new-business deals and two thirds of renewals are won), lost reasons, contacts, product lines;
* quotes (N / 100) and orders (N / 50) with lines and totals computed like the sales services do;
* activities per record with a power-law distribution (:mod:`rapport.ops.generator_activities`,
  when the activities app has models);
* for every business record its "created" History row and its search index entry (written by the
  search providers' own ``describe`` functions, see :func:`rapport.ops.indexing.entries_for`).

Rows are written with :class:`rapport.ops.bulk.Table` (COPY on PostgreSQL, executemany on
SQLite), in one transaction per chunk.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from rapport.contacts.models import CompanySize, LeadSource, LeadStatus
from rapport.core.models import Workspace
from rapport.ops import wordlists as W
from rapport.ops.bulk import Table, Writer, instances, light, money
from rapport.ops.chunks import can_fork, run_chunks
from rapport.ops.indexing import HistoryWriter, SearchWriter

Log = Callable[[str], None]
LIFECYCLE = (("subscriber", 10), ("lead", 30), ("marketing_qualified", 12), ("sales_qualified", 10))
LIFECYCLE += (("opportunity", 12), ("customer", 22), ("evangelist", 4))
# the models' own choices: the bulk path (COPY) does not run field validation
LEAD_STATUS = tuple(LeadStatus.values)
LEAD_SOURCE = tuple(LeadSource.values)
INDUSTRY = ("software", "finance", "healthcare", "manufacturing", "retail", "education", "media", "logistics")
SIZES = tuple(CompanySize.values)
TIERS = ("strategic", "key", "standard")
LANGUAGES = ("english", "german", "french", "spanish", "japanese", "portuguese")
DEFER_INDEXES_FROM = 100_000  # contacts: below that, rebuilding every index costs more than it saves
TAGS = ("VIP", "Newsletter", "Partner", "Event 2026", "Churn risk")


@dataclass
class Plan:
    contacts: int
    seed: int = 42
    as_of: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    companies: int | None = None
    deals: int | None = None
    orders: int | None = None
    quotes: int | None = None
    activities: float = 1.5  # activities per contact, on average (power law per record)
    chunk: int = 20_000
    history: bool = True
    search: bool = True
    threaded: bool = False  # write in a background thread (PostgreSQL, outside a test transaction)
    defer_indexes: bool | None = None  # None: when it pays (see Generator._deferred_indexes)
    processes: int = 1  # generate chunks on this many processes (PostgreSQL, outside a transaction)

    def __post_init__(self) -> None:
        n = self.contacts
        self.companies = max(1, n // 8) if self.companies is None else self.companies
        self.deals = n // 5 if self.deals is None else self.deals
        self.orders = n // 50 if self.orders is None else self.orders
        self.quotes = n // 100 if self.quotes is None else self.quotes


class IdRanges:
    """The primary keys given out in contiguous blocks, addressable by rank (0 … len-1)."""

    def __init__(self) -> None:
        self.starts: list[int] = []  # rank of each block's first id
        self.firsts: list[int] = []
        self.total = 0

    def add(self, first: int, size: int) -> None:
        self.starts.append(self.total)
        self.firsts.append(first)
        self.total += size

    def __len__(self) -> int:
        return self.total

    def at(self, rank: int) -> int:
        block = bisect.bisect_right(self.starts, rank) - 1
        return self.firsts[block] + rank - self.starts[block]


def _bulk_tables() -> list[str]:
    """The tables a generator run writes in bulk (whose indexes it may defer)."""
    from django.apps import apps

    names = [
        "contacts.Company", "contacts.CompanyDomain", "contacts.Address", "contacts.Contact",
        "contacts.EmailAddress", "contacts.PhoneNumber", "tags.TaggedItem", "sales.Deal",
        "sales.DealStageChange", "sales.DealContact", "sales.LineItem", "sales.Quote", "sales.QuoteLine",
        "sales.Order", "sales.OrderLine", "activities.Activity", "activities.ActivityLink",
        "core.RecordHistory", "search.SearchEntry",
    ]  # fmt: skip
    tables = []
    for name in names:
        try:
            tables.append(apps.get_model(name)._meta.db_table)
        except LookupError:  # an app this installation does not have
            continue
    return tables


def _id_ranges(pairs) -> tuple[IdRanges, dict[int, int]]:
    """Existing primary keys (as contiguous :class:`IdRanges` blocks) and each one's company."""
    ranges, company = IdRanges(), {}
    first = previous = None
    for pk, company_id in pairs.order_by("pk").iterator(chunk_size=20_000):
        if company_id:
            company[pk] = company_id
        if previous is not None and pk == previous + 1:
            previous = pk
            continue
        if first is not None:
            ranges.add(first, previous - first + 1)
        first = previous = pk
    if first is not None:
        ranges.add(first, previous - first + 1)
    return ranges, company


class Generator:
    def __init__(self, workspace: Workspace, plan: Plan, log: Log = print):
        self.workspace, self.plan, self.log = workspace, plan, log
        self.rng = random.Random(plan.seed)  # noqa: S311 - reproducible test data, not secrets
        self.ws = workspace.pk
        self.end = dt.datetime.combine(plan.as_of, dt.time(9), tzinfo=dt.UTC)
        self.counts: dict[str, int] = {}
        self.started = time.monotonic()
        self.history = HistoryWriter(workspace, enabled=plan.history)
        self.search = SearchWriter(enabled=plan.search)
        self.processes = plan.processes if plan.threaded and can_fork() else 1
        # forked processes must not inherit a writer thread: the parent then writes in its own
        self.writer = Writer(threaded=plan.threaded and self.processes == 1)
        self._bind_draws()

    def reseed(self, phase: str, index: int) -> None:
        """Draw chunk ``index`` of ``phase`` from its own stream (see :mod:`rapport.ops.chunks`)."""
        self.rng = random.Random(f"{self.plan.seed}:{phase}:{index}")  # noqa: S311 - test data
        self._bind_draws()

    def _bind_draws(self) -> None:
        random_ = self.rng.random
        # ``rng.choice``/``randrange`` cost a few calls per draw (unbiased integer draws); scaling one
        # float is several times cheaper and, for test data, as good (the bias is below 1e-15).
        self.pick: Callable[[Any], Any] = lambda seq: seq[int(random_() * len(seq))]
        self.below: Callable[[int], int] = lambda n: int(random_() * n)
        if hasattr(self, "lifecycle"):
            self.lifecycle = self._weighted(LIFECYCLE)

    # -- helpers
    def save(self, steps: list, records: list) -> None:
        """Write ``steps`` plus the records' History rows and search entries in one transaction."""
        search_steps, after = self.search.add(records)
        history = self.history.created(records, table=steps[0][0] if steps else None)
        self.writer.submit([*steps, *history, *search_steps], after)

    def _count(self, name: str, value: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + value

    def _progress(self, what: str, done: int, total: int) -> None:
        self.log(f"  {what}: {done:,}/{total:,} ({time.monotonic() - self.started:.0f}s)")

    def _past(self, max_days: int, recent_bias: float = 1.6) -> dt.datetime:
        """A moment in the last ``max_days`` days, more often recent (growth)."""
        random_ = self.rng.random
        days = max_days * (random_() ** recent_bias)
        return self.end - dt.timedelta(days=days, seconds=int(random_() * 86_400))

    def _weighted(self, pairs: tuple[tuple[str, int], ...]) -> Callable[[], str]:
        values = [v for v, _ in pairs]
        cum = list(itertools.accumulate(w for _, w in pairs))
        rng = self.rng
        return lambda: values[bisect.bisect(cum, rng.random() * cum[-1])]

    def _phone(self, country: W.Country) -> str:
        below = self.below
        area = self.pick(W.US_AREAS if country.code == "US" else W.CA_AREAS)
        pattern = country.national.replace("{area}", area)
        for token in ("{xxxxxxxx}", "{xxxxx}", "{xxx}", "{xx}"):
            if token in pattern:
                pattern = pattern.replace(token, f"{below(10 ** (len(token) - 2)):0{len(token) - 2}d}")
        return f"+{country.calling}{pattern}"

    # -- the run
    def run(self) -> dict[str, int]:
        from rapport.core.scoping import workspace_scope

        with workspace_scope(self.ws):
            self._setup()
            with self._deferred_indexes():
                try:
                    self._companies()
                    self._contacts()
                    self._deals()
                    self._documents()
                    self._activities()
                finally:
                    self.writer.close()
            self._finish()
        return self.counts

    def _deferred_indexes(self):
        """A large set into (nearly) empty tables loads without their indexes and constraints.

        See :mod:`rapport.ops.deferred`: on PostgreSQL only, for the tables holding fewer than a
        tenth of the contacts to write; ``Plan.defer_indexes`` forces it on or off.
        """
        import contextlib

        from rapport.ops.deferred import deferred_indexes

        wanted = self.plan.defer_indexes
        if wanted is None:
            wanted = self.plan.contacts >= DEFER_INDEXES_FROM
        if not wanted:
            return contextlib.nullcontext([])
        below = max(1, self.plan.contacts // 10) if self.plan.defer_indexes is None else 1 << 62
        return deferred_indexes(_bulk_tables(), below=below, log=self.log)

    def top_up_activities(self, total: int) -> dict[str, int]:
        """Add ``total`` activities over the workspace's existing contacts and deals (no new records).

        Lets a benchmark reach millions of activities without generating millions more contacts;
        the same power law, links and History rows as :meth:`run`.
        """
        from rapport.contacts.models import Contact
        from rapport.core.scoping import workspace_scope
        from rapport.ops.generator_activities import write_activities
        from rapport.sales.models import Deal

        with workspace_scope(self.ws):
            self._setup()
            self.contact_ids, self.contact_company = _id_ranges(Contact.objects.values_list("pk", "company_id"))
            self.deal_ids, self.deal_company = _id_ranges(Deal.objects.values_list("pk", "company_id"))
            write_activities(self, total=total)
            self.writer.close()
            self._finish()
        return self.counts

    def _setup(self) -> None:
        from rapport.core.demo import DEMO_OWNER_EMAIL
        from rapport.core.models import Membership
        from rapport.core.permissions import actor_for
        from rapport.customfields.models import CustomFieldDefinition
        from rapport.customfields.services import definition_create
        from rapport.sales.models import LostReason, Pipeline, Product, ProductPrice
        from rapport.tags.models import Tag

        User = get_user_model()
        owner = User.objects.get(email=DEMO_OWNER_EMAIL)
        self.owner_id = owner.pk
        self.users = list(
            Membership.objects.filter(workspace=self.workspace, is_active=True).values_list("user_id", flat=True)
        )
        self.sellers = list(
            Membership.objects.filter(
                workspace=self.workspace, is_active=True, role__in=["owner", "manager", "sales"]
            ).values_list("user_id", flat=True)
        ) or [self.owner_id]
        actor = actor_for(owner, self.workspace)
        specs = [
            ("contacts.company", "account_tier", "Account tier", TIERS),
            ("contacts.contact", "preferred_language", "Preferred language", LANGUAGES),
        ]
        for record_type, key, label, values in specs:
            if not CustomFieldDefinition.objects.filter(record_type=record_type, key=key).exists():
                definition_create(
                    actor=actor,
                    record_type=record_type,
                    data={
                        "key": key,
                        "label": label,
                        "field_type": "select",
                        "options": {"choices": [{"value": v, "label": v.capitalize()} for v in values]},
                        "show_in_lists": True,
                    },
                )
        self.tags = []
        for name in TAGS:
            tag = Tag.objects.filter(name=name).first() or Tag.objects.create(workspace=self.workspace, name=name)
            self.tags.append(tag.pk)
        self.pipelines = []
        for pipeline in Pipeline.objects.order_by("position", "id"):
            stages = list(pipeline.stages.filter(deleted_at__isnull=True).order_by("position", "id"))
            if stages and not pipeline.name.startswith("Bench"):
                self.pipelines.append((pipeline, stages))
        if not self.pipelines:
            raise RuntimeError("The demo workspace has no pipeline: run `manage.py seed_demo` without options first.")
        self.lost_reasons = list(LostReason.objects.values_list("pk", flat=True))
        prices: dict[int, dict[str, Decimal]] = {}
        for product_id, currency, price in ProductPrice.objects.values_list("product_id", "currency", "unit_price"):
            prices.setdefault(product_id, {})[currency] = price
        self.products = [(p.pk, p.name, p.tax_rate, prices.get(p.pk, {})) for p in Product.objects.filter(active=True)]
        self.countries = list(W.COUNTRIES)
        self.country_cum = list(itertools.accumulate(c.weight for c in self.countries))
        self.lifecycle = self._weighted(LIFECYCLE)

    def _country(self) -> W.Country:
        return self.countries[bisect.bisect(self.country_cum, self.rng.random() * self.country_cum[-1])]

    # -- companies
    def _companies(self) -> None:
        from rapport.contacts.models import Address, Company, CompanyDomain

        total = self.plan.companies
        company_t = Table(
            Company,
            [
                "id",
                "workspace_id",
                "name",
                "primary_domain",
                "industry",
                "size",
                "annual_revenue",
                "revenue_currency",
                "phone",
                "website",
                "lifecycle_stage",
                "owner_id",
                "created_at",
                "updated_at",
                "created_by_id",
                "updated_by_id",
                "custom",
            ],
        )
        domain_t = Table(CompanyDomain, ["workspace_id", "company_id", "domain", "is_primary", "is_live"])
        address_t = Table(
            Address,
            ["workspace_id", "company_id", "label", "street", "city", "region", "postal_code", "country", "position"],
        )
        first_id = company_t.allocate(total)
        self.company_ids: list[int] = list(range(first_id, first_id + total))
        self.company_country: dict[int, W.Country] = {}
        self.company_domain: dict[int, str] = {}
        self.company_name: dict[int, str] = {}
        self.company_created: dict[int, dt.datetime] = {}
        countries = {country.code: country for country in W.COUNTRIES}

        def make(start: int, size: int) -> list[tuple]:
            rng, pick, below = self.rng, self.pick, self.below
            rows, domains, addresses, records, made = [], [], [], [], []
            for pk in range(first_id + start, first_id + start + size):
                country = self._country()
                word, kind = pick(W.COMPANY_WORDS), pick(W.COMPANY_KIND)
                name = f"{word} {kind} {pick(W.COMPANY_SUFFIX.get(country.code, ('Ltd',)))}"
                domain = f"{word}-{kind}-{pk}.example".lower()
                created = self._past(6 * 365, 1.3)
                owner = pick(self.sellers)
                custom = {"account_tier": rng.choices(TIERS, (1, 4, 15))[0]} if rng.random() < 0.7 else {}
                row = (
                    pk, self.ws, name, domain, pick(INDUSTRY), pick(SIZES),
                    money((1 + below(4999)) * 10_000), country.currency, self._phone(country),
                    f"https://www.{domain}", pick(("lead", "opportunity", "customer", "customer", "")),
                    owner, created, created, owner, owner, custom,
                )  # fmt: skip
                rows.append(row)
                domains.append((self.ws, pk, domain, True, True))
                city, region, postal = pick(country.cities)
                street = country.street.format(n=1 + below(399), n2=1 + below(29), name=pick(country.last))
                addresses.append((self.ws, pk, "office", street, city, region, postal, country.code, 0))
                made.append((pk, country.code, domain, name, created))
                records.append(row)
            objs = instances(company_t, records)
            for obj, domain in zip(objs, domains, strict=True):
                obj._prefetched_objects_cache = {"domains": [light(CompanyDomain, domain=domain[2], is_primary=True)]}
            self.save([(company_t, rows), (domain_t, domains), (address_t, addresses)], objs)
            self._count("companies", size)
            return made

        def merge(made: list[tuple]) -> None:
            for pk, code, domain, name, created in made:
                self.company_country[pk] = countries[code]
                self.company_domain[pk] = domain
                self.company_name[pk] = name
                self.company_created[pk] = created

        run_chunks(self, "companies", total, make, merge)
        self.reseed("company sizes", 0)
        rng = self.rng
        # Contacts per company follow a power law (weight 1 / rank^0.6, ranks shuffled).
        ranks = list(range(1, len(self.company_ids) + 1))
        rng.shuffle(ranks)
        self.company_cum = list(itertools.accumulate(1 / r**0.6 for r in ranks))

    def _pick_company(self) -> int:
        return self.company_ids[bisect.bisect(self.company_cum, self.rng.random() * self.company_cum[-1])]

    # -- contacts
    def _contacts(self) -> None:
        from rapport.contacts.models import Address, Contact, EmailAddress, PhoneNumber
        from rapport.tags.models import TaggedItem

        total = self.plan.contacts
        contact_t = Table(
            Contact,
            [
                "id",
                "workspace_id",
                "first_name",
                "last_name",
                "job_title",
                "company_id",
                "birthday",
                "lead_source",
                "lifecycle_stage",
                "lead_status",
                "primary_email",
                "primary_phone",
                "owner_id",
                "created_at",
                "updated_at",
                "created_by_id",
                "updated_by_id",
                "custom",
            ],
        )
        email_t = Table(EmailAddress, ["workspace_id", "contact_id", "label", "email", "is_primary", "position"])
        phone_t = Table(
            PhoneNumber, ["workspace_id", "contact_id", "label", "number", "digits", "is_primary", "position"]
        )
        address_t = Table(
            Address,
            ["workspace_id", "contact_id", "label", "street", "city", "region", "postal_code", "country", "position"],
        )
        tag_t = Table(TaggedItem, ["workspace_id", "tag_id", "content_type_id", "object_id", "created_at"])
        contact_ct = ContentType.objects.get_for_model(Contact).pk
        self.contacts_by_company: dict[int, list[int]] = {}
        self.contact_ids = IdRanges()
        self.contact_company: dict[int, int] = {}
        self.contact_ids_sample: list[int] = []
        first_id = contact_t.allocate(total)
        self.contact_ids.add(first_id, total)

        def make(start: int, size: int) -> tuple[list[tuple[int, int]], list[int]]:
            rng, pick, below = self.rng, self.pick, self.below
            rows, emails, phones, addresses, tags, prefetched = [], [], [], [], [], []
            employed, sample = [], []
            for pk in range(first_id + start, first_id + start + size):
                company_id = self._pick_company() if rng.random() < 0.84 else None
                country = self.company_country[company_id] if company_id and rng.random() < 0.85 else self._country()
                first_name, last_name = pick(country.first), pick(country.last)
                local = f"{first_name}.{last_name}".lower().replace(" ", "")
                domain = self.company_domain[company_id] if company_id else f"{country.code.lower()}mail.example"
                email = f"{local}{pk}@{domain}" if not company_id else f"{local}.{pk}@{domain}"
                phone = self._phone(country) if rng.random() < 0.75 else ""
                created = self._past(3 * 365)
                if company_id:
                    created = max(created, self.company_created[company_id])
                owner = pick(self.sellers)
                stage = self.lifecycle()
                birthday = dt.date(1955 + below(47), 1 + below(12), 1 + below(28)) if rng.random() < 0.1 else None
                custom = {"preferred_language": pick(LANGUAGES)} if rng.random() < 0.3 else {}
                row = (
                    pk, self.ws, first_name, last_name, pick(W.JOB_TITLES), company_id, birthday,
                    pick(LEAD_SOURCE), stage, pick(LEAD_STATUS) if stage in ("lead", "subscriber") else "",
                    email, phone, owner, created, created, owner, owner, custom,
                )  # fmt: skip
                rows.append(row)
                mails = [light(EmailAddress, label="work", email=email, is_primary=True)]
                emails.append((self.ws, pk, "work", email, True, 0))
                if rng.random() < 0.12:
                    other = f"{local}{pk}@{country.code.lower()}mail.example"
                    emails.append((self.ws, pk, "personal", other, False, 1))
                    mails.append(light(EmailAddress, label="personal", email=other, is_primary=False))
                nums = []
                if phone:
                    phones.append((self.ws, pk, "mobile", phone, phone[1:], True, 0))
                    nums.append(light(PhoneNumber, label="mobile", number=phone, digits=phone[1:], is_primary=True))
                if rng.random() < 0.2:
                    city, region, postal = pick(country.cities)
                    street = country.street.format(n=1 + below(399), n2=1 + below(29), name=pick(country.last))
                    addresses.append((self.ws, pk, "home", street, city, region, postal, country.code, 0))
                if rng.random() < 0.15:
                    for tag in rng.sample(self.tags, 1 + below(2)):
                        tags.append((self.ws, tag, contact_ct, pk, created))
                if company_id:
                    employed.append((pk, company_id))
                elif rng.random() < 0.05:
                    sample.append(pk)
                prefetched.append({"emails": mails, "phones": nums})
            objs = instances(contact_t, rows)
            for obj, cache in zip(objs, prefetched, strict=True):
                obj._prefetched_objects_cache = cache
            self._attach_companies(objs)
            steps = [(contact_t, rows), (email_t, emails), (phone_t, phones), (address_t, addresses), (tag_t, tags)]
            self.save(steps, objs)
            self._count("contacts", size)
            self._count("email addresses", len(emails))
            self._count("phone numbers", len(phones))
            self._count("addresses", len(addresses))
            self._count("tags on contacts", len(tags))
            return employed, sample

        def merge(result: tuple[list[tuple[int, int]], list[int]]) -> None:
            employed, sample = result
            for pk, company_id in employed:
                self.contacts_by_company.setdefault(company_id, []).append(pk)
                self.contact_company[pk] = company_id
            self.contact_ids_sample.extend(sample)

        run_chunks(self, "contacts", total, make, merge)

    def _attach_companies(self, contacts: list) -> None:
        """Give each contact its company (name and bin state) for its search subtitle without a query per row."""
        wanted = {c.company_id for c in contacts if c.company_id}
        found = self._company_names(wanted)
        for contact in contacts:
            if contact.company_id:
                contact._state.fields_cache["company"] = found.get(contact.company_id)

    def _company_names(self, wanted: set[int]) -> dict[int, Any]:
        from rapport.contacts.models import Company

        return {pk: Company(id=pk, workspace_id=self.ws, name=self.company_name[pk]) for pk in wanted}

    # -- deals, quotes, orders, activities: see the sibling modules
    def _deals(self) -> None:
        from rapport.ops.generator_sales import write_deals

        write_deals(self)

    def _documents(self) -> None:
        from rapport.ops.generator_sales import write_documents

        self.reseed("documents", 0)  # written by this process, in order
        write_documents(self)

    def _activities(self) -> None:
        from rapport.ops.generator_activities import write_activities

        write_activities(self)

    def _finish(self) -> None:
        self._count("history rows", self.history.written)
        self._count("search entries", self.search.written)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from rapport.ops.bulk import totals

        for table, (rows, seconds) in sorted(totals.items(), key=lambda item: -item[1][1]):
            if rows:
                self.log(f"  {table}: {rows:,} rows written in {seconds:.1f}s")
        self.log(f"  done in {time.monotonic() - self.started:.0f}s")
