"""The batched contacts path gives what the per-row path gives: records, History, search, ledger, report."""

from __future__ import annotations

import contextlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction

from rapport.contacts import services as contact_services
from rapport.contacts.models import Company, Contact, EmailAddress
from rapport.core.models import RecordHistory
from rapport.imports import batch, services
from rapport.imports.models import ImportItem
from rapport.search.models import SearchEntry

CSV = (
    "First Name,Last Name,Email,Phone,Company,Company Domain,Tags,Birthday,Lead Source,Owner Email,City,Country,"
    "Shirt\n"
    "Ada,Lovelace,ada@example.com; ada2@example.com,+44 20 7946 0958,Engines,engines.example,vip;maths,1815-12-10,"
    "Referral,peer@acme.test,London,United Kingdom,L\n"
    "Alan,Turing,alan@example.com,,Bletchley,,,,,nobody@acme.test,,Narnia,M\n"
    "Grace,Hopper,grace@example.com,,engines,,navy,31/31/1906,,,,,S\n"
    "Dup,Licate,ADA@example.com,,Fresh Co,fresh.example,,,,,,,\n"
    "Old,Friend,known@example.com,,,,,,,,,,\n"
    ",,,,,,,,,,,,\n"
    "Future,Born,future@example.com,,,,,2999-01-01,,,,,\n"
    "Linked,ByDomain,linked@example.com,,Secret Co,secret.example,,,,,,,\n"
    "Bad,Shirt,shirt@example.com,,,,,,,,,,XXL\n"
    '"=SUM(A1)",Formula,f@example.com,,,,,,,,,,\n'
    "Grace,Again,grace@example.com,,Bletchley,,,,,,,,\n"
)


@pytest.fixture
def world(cast, acting):
    """A contact the import finds by e-mail, one it cannot see, a company it links, a custom field."""
    from rapport.customfields import services as cf_services

    with acting(cast.owner, cast.workspace) as actor:
        cf_services.definition_create(
            actor=actor,
            record_type="contacts.contact",
            data={
                "key": "shirt",
                "label": "Shirt",
                "field_type": "select",
                "options": {"choices": [{"value": v.lower(), "label": v} for v in ("S", "M", "L")]},
            },
        )
    with acting(cast.sales, cast.workspace) as actor:
        contact_services.contact_create(actor=actor, data={"first_name": "Known"}, emails=["known@example.com"])
        contact_services.company_create(actor=actor, data={"name": "Bletchley"})
    with acting(cast.sales_west, cast.workspace) as actor:  # another team: sales does not see it
        contact_services.contact_create(actor=actor, data={"first_name": "West"}, emails=["grace@example.com"])
        contact_services.company_create(actor=actor, data={"name": "Secret West"}, domains=["secret.example"])
    return cast


class _Rollback(Exception):
    pass


def _import(actor, content, policy="skip", dry=False, tags=("imported",)):
    run = services.import_upload(actor=actor, file_name="people.csv", content=content.encode())
    wanted = {"Company Domain": "company_domain", "Owner Email": "owner_email", "Shirt": "custom:shirt"}
    mapping = {k: v for k, v in wanted.items() if k in run.headers}
    services.import_configure(
        actor=actor, run=run, dedupe_key="email", dedupe_policy=policy, tags=list(tags), mapping=mapping
    )
    if dry:
        return run, services.import_dry_run(actor=actor, run=run)
    services.import_start(actor=actor, run=run, background=False)
    return services.import_execute(actor=actor, run_id=run.pk), None


def _names(model, ids):
    return {pk: str(r) for pk, r in ((r.pk, r) for r in model.all_objects.filter(pk__in=ids))}


def _picture(run):
    """Everything the run wrote, with ids replaced by names so that two runs compare."""
    items = list(ImportItem.objects.filter(run=run).select_related("content_type").order_by("row_number", "id"))
    contact_ids = [i.object_id for i in items if i.content_type.model == "contact"]
    company_ids = [i.object_id for i in items if i.content_type.model == "company"]
    companies = _names(Company, company_ids + list(Company.all_objects.values_list("pk", flat=True)))

    def history(model, pk):
        rows = RecordHistory.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id=pk)
        out = []
        for h in rows.order_by("id"):
            changes = dict(h.changes)
            if "company_id" in changes:
                changes["company_id"] = [None, companies.get(changes["company_id"][1])]
            out.append((h.action, h.source, h.actor_id, h.object_repr, changes))
        return out

    def entry(model, pk):
        e = SearchEntry.objects.get(content_type=ContentType.objects.get_for_model(model), object_id=pk)
        return (e.title, e.title_key, e.subtitle, e.body, e.emails, e.email_key, e.phones, e.domains)

    contacts = []
    for c in Contact.objects.filter(pk__in=contact_ids).order_by("first_name", "last_name"):
        contacts.append(
            {
                "fields": {k: v for k, v in c.tracked_values().items() if k != "company_id"},
                "company": c.company.name if c.company else None,
                "primary": (c.primary_email, c.primary_phone, c.version, c.created_by_id),
                "emails": list(c.emails.values_list("email", "label", "is_primary", "position")),
                "phones": list(c.phones.values_list("number", "digits", "label", "is_primary", "position")),
                "addresses": list(c.addresses.values_list("label", "city", "country", "position")),
                "tags": sorted(c.tagged_items.values_list("tag__name", flat=True)),
                "history": history(Contact, c.pk),
                "entry": entry(Contact, c.pk),
            }
        )
    created_companies = [
        {
            "name": c.name,
            "domains": list(c.domains.values_list("domain", "is_primary", "is_live")),
            "primary_domain": c.primary_domain,
            "history": history(Company, c.pk),
            "entry": entry(Company, c.pk),
        }
        for c in Company.objects.filter(pk__in=company_ids).order_by("name")
    ]
    ledger = [(i.row_number, i.action, i.content_type.model, i.version_after) for i in items]
    counts = (run.created_count, run.updated_count, run.skipped_count, run.error_count, run.rows_done)
    return {
        "contacts": contacts,
        "companies": created_companies,
        "ledger": ledger,
        "counts": counts,
        "errors": run.errors,
    }


@pytest.mark.parametrize("policy", ["skip", "update", "create"])
def test_batched_path_writes_exactly_what_the_per_row_path_writes(world, acting, settings, policy):
    pictures = []
    with acting(world.sales, world.workspace, source="import") as actor:
        for batched in (False, True):
            settings.IMPORT_BATCHED = batched
            with contextlib.suppress(_Rollback), transaction.atomic():  # both runs start from the same data
                run, _ = _import(actor, CSV, policy=policy)
                assert batch.enabled(run) is batched
                pictures.append(_picture(run))
                raise _Rollback
    per_row, batched = pictures
    assert batched["errors"] == per_row["errors"]
    assert batched["counts"] == per_row["counts"]
    assert batched["ledger"] == per_row["ledger"]
    assert batched["companies"] == per_row["companies"]
    assert batched["contacts"] == per_row["contacts"]
    assert per_row["counts"][0] >= 4 and per_row["counts"][3] == 3  # the file exercises creates and errors


def test_the_report_names_row_column_and_reason(world, acting):
    with acting(world.sales, world.workspace) as actor:
        _, report = _import(actor, CSV, dry=True)
    by_row = {}
    for error in report["errors"]:
        by_row.setdefault(error["row"], []).append((error["column"], error["level"], error["reason"]))
    assert by_row[3] == [
        (
            "Owner Email",
            "warning",
            "No member of this workspace has this e-mail; you own the record. "
            "The value 'nobody@acme.test' was not imported.",
        ),
        ("Country", "warning", "Not a country name or two-letter ISO code. The value 'Narnia' was not imported."),
    ]
    assert [e[:2] for e in by_row[8]] == [("Birthday", "error")]
    assert by_row[10][0][0] == "Shirt" and by_row[10][0][1] == "error"
    assert "formula" in by_row[11][0][2]
    assert (report["created"], report["skipped"], report["error"]) == (4, 3, 3)
    assert Contact.objects.filter(first_name="Ada").count() == 0  # the dry run wrote nothing


def test_a_chunk_takes_a_fixed_number_of_queries(cast, acting, django_assert_max_num_queries, settings):
    settings.IMPORT_CHUNK_ROWS = 1000

    def content(n):
        rows = "\n".join(f"P{i},R{i},p{n}-{i}@example.com,Company {i % 7},vip" for i in range(n))
        return "First Name,Last Name,Email,Company,Tags\n" + rows

    with acting(cast.sales, cast.workspace) as actor:
        counts = []
        for n in (20, 400):
            run = services.import_upload(actor=actor, file_name="p.csv", content=content(n).encode())
            services.import_configure(actor=actor, run=run, dedupe_key="email", dedupe_policy="skip")
            services.import_start(actor=actor, run=run, background=False)
            with django_assert_max_num_queries(80) as captured:
                run = services.import_execute(actor=actor, run_id=run.pk)
            counts.append(len(captured))
            assert run.created_count == n
    assert counts[1] <= counts[0] + 2  # 20 times the rows, not more queries


def test_undo_of_a_batched_run_removes_exactly_what_it_created(world, acting):
    with acting(world.sales, world.workspace) as actor:
        before = (Contact.objects.count(), Company.objects.count(), SearchEntry.objects.count())
        emails = EmailAddress.objects.count()
        run, _ = _import(actor, CSV)
        # Engines, and Fresh Co for a skipped row (its company is linked before the dedupe, as per row)
        assert run.created_count == 4 and Company.objects.count() == before[1] + 2
        result = services.import_undo(actor=actor, run=run)
        assert result["removed"] == 6 and result["kept"] == []
        assert (Contact.objects.count(), Company.objects.count(), SearchEntry.objects.count()) == before
        assert EmailAddress.objects.count() == emails


def test_ids_of_undone_records_are_never_given_again(cast, acting):
    content = "First Name,Email\nAda,ada@example.com\nAlan,alan@example.com\n"
    with acting(cast.sales, cast.workspace) as actor:
        first, _ = _import(actor, content)
        ids = set(ImportItem.objects.filter(run=first).values_list("object_id", flat=True))
        services.import_undo(actor=actor, run=first)
        second, _ = _import(actor, content)
        again = set(ImportItem.objects.filter(run=second).values_list("object_id", flat=True))
    assert len(again) == 2 and min(again) > max(ids)  # old History rows never point at a new contact


def test_a_refused_bulk_write_falls_back_to_one_row_at_a_time(cast, acting, monkeypatch):
    real = batch._write_contacts
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(*args, **kwargs)  # written, then refused: the savepoint must drop it all
            raise DatabaseError("refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "_write_contacts", failing)
    content = "First Name,Email,Company\nAda,ada@example.com,Engines\nAlan,alan@example.com,Engines\n"
    with acting(cast.sales, cast.workspace) as actor:
        run, _ = _import(actor, content)
    assert (run.created_count, run.error_count) == (2, 0)
    assert Contact.objects.count() == 2 and EmailAddress.objects.count() == 2
    assert SearchEntry.objects.filter(content_type=ContentType.objects.get_for_model(Contact)).count() == 2
    assert ImportItem.objects.filter(run=run).count() == 3  # two contacts and the company
    assert Company.objects.count() == 1


@pytest.mark.parametrize("batched", [False, True])
def test_a_refused_row_does_not_leave_its_new_company_to_the_next_rows(world, acting, settings, batched):
    settings.IMPORT_BATCHED = batched
    content = (
        "First Name,Email,Company,Shirt\n"
        "Ada,ada@example.com,Brand New,XXL\n"  # refused after its company was found missing
        "Alan,alan@example.com,Brand New,M\n"
    )
    with acting(world.sales, world.workspace) as actor:
        run, _ = _import(actor, content)
    assert (run.created_count, run.error_count) == (1, 1)
    alan = Contact.objects.get(first_name="Alan")
    assert alan.company is not None and alan.company.name == "Brand New"
    assert Company.objects.filter(name="Brand New").count() == 1


def test_a_dry_run_of_new_contacts_writes_nothing_and_predicts_the_run(cast, acting, settings):
    """Planned like the real run, chunk by chunk (duplicates across chunks, companies shared): no
    write but the run's own report at the end, so on SQLite no write lock is held meanwhile."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.IMPORT_CHUNK_ROWS = 10
    rows = [f"P{i},R{i},p{i - 12 if i % 9 == 8 and i > 12 else i}@example.com,Company {i % 4}" for i in range(45)]
    rows[20] = ",,nameless@example.com,Company 1"  # an error
    content = "First Name,Last Name,Email,Company\n" + "\n".join(rows) + "\n"
    with acting(cast.sales, cast.workspace) as actor:
        run = services.import_upload(actor=actor, file_name="p.csv", content=content.encode())
        services.import_configure(actor=actor, run=run, dedupe_key="email", dedupe_policy="skip")
        with CaptureQueriesContext(connection) as captured:
            report = services.import_dry_run(actor=actor, run=run)
        writes = [q["sql"] for q in captured if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
        stored = [sql for sql in writes if '"imports_importrun"' in sql or '"core_recordhistory"' in sql]
        assert writes == stored and len(stored) == 2, writes  # the stored report and its History row
        assert not Contact.objects.exists() and not Company.objects.exists()
        services.import_start(actor=actor, run=run, background=False)
        done = services.import_execute(actor=actor, run_id=run.pk)
    predicted = (report["created"], report["skipped"], report["error"])
    assert predicted == (done.created_count, done.skipped_count, done.error_count) == (40, 4, 1)
    assert report["errors"] == done.errors
