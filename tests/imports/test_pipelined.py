"""Planning a chunk while the previous one is written (a second thread and connection) changes nothing.

The writer thread needs data committed before it starts, so these tests run in transactional mode,
and only where a second connection sees the same database: PostgreSQL, or SQLite in a file
(tests/imports/test_worker_kill.py runs the pipelined path in real worker processes on both).
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection

from rapport.contacts.models import Company, Contact, EmailAddress
from rapport.core.models import RecordHistory
from rapport.core.scoping import workspace_scope
from rapport.imports import ahead, services
from rapport.imports.models import ImportItem
from rapport.search.models import SearchEntry, SearchWord
from rapport.tags.models import TaggedItem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _second_connection_sees_the_database():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # known once the test database exists
        pytest.skip("a second connection cannot share an in-memory SQLite test database")


CHUNK = 20


def _csv(rows: int = 130) -> str:
    lines = ["First Name,Last Name,Email,Company,Company Domain,Tags"]
    for i in range(rows):
        email = f"p{i - 25}@example.com" if i % 10 == 9 and i >= 25 else f"p{i}@example.com"  # an earlier chunk's
        company, domain = f"Company {i % 6}", f"c{i % 6}.example" if i % 2 else ""
        tags = "vip" if i % 7 == 0 else ("late" if i >= 90 and i % 5 == 0 else "")  # "late" is new in chunk 5
        first, last = ("", "") if i == 47 else (f"Person{i}", f"Row{i}")  # a row without a name: an error
        lines.append(f"{first},{last},{email},{company},{domain},{tags}")
    return "\n".join(lines) + "\n"


def _run(actor, content: str, settings, pipelined: bool):
    settings.IMPORT_PIPELINED = pipelined
    settings.IMPORT_CHUNK_ROWS = CHUNK
    run = services.import_upload(actor=actor, file_name="people.csv", content=content.encode())
    services.import_configure(
        actor=actor,
        run=run,
        dedupe_key="email",
        dedupe_policy="skip",
        tags=["imported"],
        mapping={"Company Domain": "company_domain"},
    )
    services.import_start(actor=actor, run=run, background=False)
    return services.import_execute(actor=actor, run_id=run.pk)


def _outcome(workspace, run):
    """What the import left in ``workspace``, in terms that do not depend on ids."""
    contact_type = ContentType.objects.get_for_model(Contact)
    with workspace_scope(workspace.pk):
        contacts = {
            (c.first_name, c.last_name, c.primary_email, c.company.name if c.company else "")
            for c in Contact.objects.select_related("company")
        }
        ids = list(Contact.objects.values_list("pk", flat=True))
        return {
            "counts": (run.created_count, run.skipped_count, run.error_count, run.rows_done),
            "errors": run.errors,
            "contacts": contacts,
            "emails": EmailAddress.objects.count(),
            "companies": sorted(Company.objects.values_list("name", "primary_domain")),
            "history": RecordHistory.objects.filter(content_type=contact_type, object_id__in=ids).count(),
            "search": SearchEntry.objects.filter(content_type=contact_type, object_id__in=ids).count(),
            "ledger": ImportItem.objects.filter(run=run).count(),
            "tagged": TaggedItem.objects.filter(content_type=contact_type, object_id__in=ids).count(),
        }


def test_planning_ahead_gives_what_the_ordinary_path_gives(cast, acting, settings, monkeypatch):
    planned = []
    real = ahead.prepare_chunk
    monkeypatch.setattr(ahead, "prepare_chunk", lambda *a, **k: planned.append(real(*a, **k)) or planned[-1])
    content = _csv()
    with acting(cast.owner, cast.workspace) as actor:
        early = _run(actor, content, settings, pipelined=True)
    with acting(cast.outsider, cast.other_workspace) as actor:
        ordinary = _run(actor, content, settings, pipelined=False)
    assert sum(p is not None for p in planned) >= 4  # most chunks were planned ahead …
    assert None in planned  # … and the one with the new tag "late" took the ordinary path
    assert early.status == ordinary.status == "done"
    got, expected = _outcome(cast.workspace, early), _outcome(cast.other_workspace, ordinary)
    assert got == expected
    assert got["counts"] == (118, 11, 1, 130)  # eleven repeated e-mails skipped, one row without a name
    assert len({email for _, _, email, _ in got["contacts"]}) == len(got["contacts"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the typo-correction word list is PostgreSQL's")
def test_planning_ahead_adds_the_names_to_the_typo_correction_words(cast, acting, settings):
    SearchWord.objects.all().delete()
    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, _csv(), settings, pipelined=True)
    assert run.status == "done"
    words = set(SearchWord.objects.values_list("word", flat=True))
    with workspace_scope(cast.workspace.pk):
        names = {w for c in Contact.objects.all() for w in (c.first_name.lower(), c.last_name.lower())}
    assert names <= words  # the planning thread recorded them, not the writer's transactions
    assert {"person0", "row128"} <= words


def test_a_refused_chunk_is_redone_the_ordinary_way(cast, acting, settings, monkeypatch):
    real = ahead.Prepared.write
    calls = []

    def refusing(self, ctx, run):
        calls.append(self.start)
        if len(calls) == 2:  # the second chunk planned ahead: written, then refused, its transaction rolled back
            real(self, ctx, run)
            raise DatabaseError("refused")
        return real(self, ctx, run)

    monkeypatch.setattr(ahead.Prepared, "write", refusing)
    with acting(cast.owner, cast.workspace) as actor:
        run = _run(actor, _csv(), settings, pipelined=True)
    # the first chunk took the ordinary path (it creates the tags); the refused one is not planned ahead again
    assert calls[:2] == [CHUNK, 2 * CHUNK] and 2 * CHUNK not in calls[2:]
    assert run.status == "done"
    outcome = _outcome(cast.workspace, run)
    assert outcome["counts"] == (118, 11, 1, 130)
    assert outcome["ledger"] == 118 + len(outcome["companies"])
    assert outcome["search"] == 118 and outcome["history"] == 118  # one "create" row each
    assert len(outcome["companies"]) == len({name for name, _ in outcome["companies"]})  # none twice
