"""Planning ahead: the next chunk of a batched contacts import is planned while the previous one is written.

Split from :mod:`rapport.imports.batch`, whose planning and row building it reuses: a real run
(:func:`run_pipelined`) hands each planned chunk to a writer thread with its own connection, and a
dry run (:func:`dry_run`) plans every chunk without writing. See docs/imports.md, "Planning ahead".
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from rapport.contacts import integration
from rapport.contacts.models import Company, Contact
from rapport.imports.batch import (
    _Chunk,
    _dedupe,
    _emails,
    _link_companies,
    _NewCompany,
    _plan,
    _resolve_tags,
    enabled,
)
from rapport.imports.batch_rows import Step, _allocate, _contact_steps, _definitions, _write_companies, _write_steps
from rapport.imports.models import ImportRun
from rapport.imports.readers import Table
from rapport.imports.targets import Context
from rapport.ops.bulk import Table as BulkTable
from rapport.ops.bulk import encode_copy
from rapport.search.index import record_title_words


class Ids:
    """Primary keys for chunks planned before the previous chunk is committed.

    PostgreSQL: the table's sequence, as ever. SQLite: the next free id is read once, then counted
    on in memory (the planning connection cannot see the rows the writer has not committed yet).
    Should another writer take one of these ids meanwhile, the insert fails on the primary key and
    the chunk is redone one step at a time (:func:`run_pipelined`).
    """

    def __init__(self) -> None:
        self.next: dict[type, int] = {}

    def take(self, model: type, count: int) -> list[int]:
        if count == 0:
            return []
        if connection.vendor == "postgresql":
            return _allocate(model, count)
        first = self.next.get(model) or _allocate(model, 1)[0]
        self.next[model] = first + count
        return list(range(first, first + count))

    def forget(self) -> None:
        """After a chunk written the ordinary way: read the next free ids again."""
        self.next.clear()


@dataclass
class Prepared:
    """A chunk planned in full and ready to write: each row created, skipped or refused."""

    start: int
    stop: int
    counts: dict[str, int]
    errors: list[dict]
    companies: list[_NewCompany]
    steps: list[Step]
    title_keys: list[str]
    emails: list[str]
    company_defs: list[Any]
    encoded: list[tuple[BulkTable, bytes, int]] | None = None  # the steps as COPY text (PostgreSQL)

    def encode(self) -> None:
        """Format the steps' rows for COPY now (in the planning thread), so the writer only sends them.

        Formatting is Python work under the interpreter lock: done by the writer thread it holds
        up the planning thread, and the lock changing hands costs more than the formatting.
        """
        encoded = []
        for model, columns, rows in self.steps:
            if rows:
                table = BulkTable(model, columns)
                data = encode_copy(table, rows)
                if data is None:
                    return
                encoded.append((table, data, len(rows)))
        self.encoded = encoded

    def write(self, ctx: Context, run: ImportRun) -> None:
        """Every row of the chunk, in the caller's transaction (its thread's connection)."""
        if self.companies:
            _write_companies(ctx, run, self.companies, dry=False, company_defs=self.company_defs)
        if self.encoded is None:
            _write_steps(self.steps, self.title_keys)
            return
        for table, data, count in self.encoded:
            table.write_encoded(data, count)


def prepare_chunk(
    ctx: Context, run: ImportRun, table: Table, start: int, stop: int, ids: Ids | None
) -> Prepared | None:
    """Plan rows ``start``…``stop - 1`` and build everything they write, reading but writing nothing.

    Without ``ids`` (a dry run) only the outcomes are worked out, nothing is built.

    ``None`` when a row needs the ordinary path: an update or a per-row case, or a tag that does
    not exist yet (the ordinary path creates it; later chunks then find it). The caller then
    restores the run caches (:func:`snapshot`) and processes the chunk with :func:`process_chunk`.
    """
    report = _Chunk()
    rows = _plan(ctx, run, table, start, stop, report)
    _dedupe(ctx, rows)
    if any(row.action == "per_row" for row in rows) or not _resolve_tags(ctx, rows, create_missing=False):
        return None
    new = _link_companies(ctx, run, rows)
    if any(row.action == "per_row" for row in rows):
        return None
    if ids is not None:
        for item, pk in zip(new, ids.take(Company, len(new)), strict=True):
            item.company.pk = pk
    creating = []
    for row in rows:
        if row.action == "skip":
            report.set(row.index, "skipped", row.warnings)
        else:
            creating.append(row)
            report.set(row.index, "created", row.warnings)
    steps: list[Step] = []
    title_keys: list[str] = []
    if ids is not None:  # without ids: a dry run, which only needs the outcomes
        steps, title_keys = _contact_steps(ctx, run, creating, False, ids.take(Contact, len(creating)))
    counts, errors = report.result()
    emails = [e for row in creating for e in _emails(row)]
    company_defs = _definitions(ctx, integration.COMPANY_TYPE) if new else []
    return Prepared(start, stop, counts, errors, new, steps, title_keys, emails, company_defs)


@dataclass
class Snapshot:
    companies_by_name: dict[str, Any]
    companies_by_domain: dict[str, Any]


def snapshot(ctx: Context) -> Snapshot:
    return Snapshot(dict(ctx.companies_by_name), dict(ctx.companies_by_domain))


def restore(ctx: Context, saved: Snapshot, start: int) -> None:
    """The run caches as they were before the chunk starting at ``start`` was planned."""
    ctx.companies_by_name = saved.companies_by_name
    ctx.companies_by_domain = saved.companies_by_domain
    ctx.created_emails = {e: at for e, at in ctx.created_emails.items() if at < start}


def pipelined(run: ImportRun) -> bool:
    """Whether this run plans a chunk while the previous one is written (setting ``IMPORT_PIPELINED``).

    Needs its own database connection in a second thread, so not inside a caller's transaction
    (which the second connection could not see) nor on an in-memory SQLite database.
    """
    if not (enabled(run) and getattr(settings, "IMPORT_PIPELINED", True)):
        return False
    if connection.in_atomic_block:
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


class _Overtaken(Exception):
    """Another attempt of the same run committed this chunk first."""


class _ChunkWriter:
    """Writes prepared chunks in order, each with the run's progress in one transaction, in a thread.

    The thread has its own database connection and a copy of the caller's context (workspace
    scope, audit actor), so History and scoping are what the ordinary path gives. After a failure
    it writes nothing more; :func:`run_pipelined` redoes the failed chunk the ordinary way.
    """

    def __init__(self, ctx: Context, run: ImportRun, commit_options: Callable[[], None]):
        self.ctx, self.run, self.commit_options = ctx, run, commit_options
        self.failed: tuple[int, BaseException] | None = None
        self.queue: queue.Queue[Prepared | None] = queue.Queue(maxsize=1)
        self.thread = threading.Thread(
            target=contextvars.copy_context().run, args=(self._loop,), name="rapport-import-writer", daemon=True
        )
        self.thread.start()

    def submit(self, prepared: Prepared) -> None:
        self.queue.put(prepared)

    def drain(self) -> None:
        self.queue.join()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _loop(self) -> None:
        try:
            while True:
                item = self.queue.get()
                try:
                    if item is None:
                        return
                    if self.failed is None:
                        try:
                            self._write(item)
                        except BaseException as exc:
                            self.failed = (item.start, exc)
                finally:
                    self.queue.task_done()
        finally:
            connection.close()  # this thread's connection

    def _write(self, prepared: Prepared) -> None:
        run = self.run
        with transaction.atomic():
            self.commit_options()
            locked = ImportRun.all_objects.select_for_update().defer("content").get(pk=run.pk)
            if locked.rows_done != prepared.start:
                raise _Overtaken
            prepared.write(self.ctx, run)
            locked.record_chunk(prepared.stop, prepared.counts, prepared.errors)


# How long a thread may keep the interpreter lock while another waits for it, during a pipelined
# import. Python's default (5 ms) suits threads that rarely wait; here the writer thread wants the
# lock back after every block it hands to the database (hundreds per chunk), and each time it
# waited up to 5 ms while the planning thread ran on: the database sat idle. 0.1 ms took a
# 100,000-row import on PostgreSQL from 13.7 s to 10.8 s (docs/imports.md).
HANDOVER_SECONDS = 0.0001


@contextlib.contextmanager
def _quick_handover() -> Iterator[None]:
    """The interpreter's switch interval set to :data:`HANDOVER_SECONDS`, then put back."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, HANDOVER_SECONDS))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@_quick_handover()
def run_pipelined(
    ctx: Context,
    run: ImportRun,
    table: Table,
    chunk: int,
    *,
    ordinary: Callable[[], None],
    commit_options: Callable[[], None],
    progress: Callable[[], None],
) -> None:
    """Import from ``run.rows_done`` on, planning each chunk while the one before is written.

    The two overlap: Python plans and validates on one core while the database (or SQLite's C
    code, which releases the GIL) writes on the other. Each chunk still commits with the run's
    progress in one transaction, in file order, so a crash keeps whole chunks only and the retry
    resumes after the last one. A chunk that needs the ordinary path waits for the writer, then
    ``ordinary()`` processes the next chunk in the caller's thread. If the writer fails, the caches
    are put back as they were before the failed chunk and this returns: the caller goes on the
    ordinary way from ``rows_done``, which redoes that chunk with its per-row fallbacks.
    """
    writer = _ChunkWriter(ctx, run, commit_options)
    ids = Ids()
    saved: dict[int, Snapshot] = {}
    position, total = run.rows_done, len(table.rows)
    try:
        while position < total and writer.failed is None:
            stop = min(position + chunk, total)
            before = snapshot(ctx)
            prepared = prepare_chunk(ctx, run, table, position, stop, ids)
            if prepared is None:
                restore(ctx, before, position)
                writer.drain()
                if writer.failed is not None:
                    break
                ordinary()
                ids.forget()
            else:
                # the chunks that can still fail: the one being written and the one queued
                saved = {k: v for k, v in saved.items() if k >= position - 2 * chunk}
                saved[position] = before
                ctx.created_emails.update(dict.fromkeys(prepared.emails, position))
                prepared.encode()
                if prepared.encoded is not None:
                    # the typo-correction words, committed at once on this thread's connection: the
                    # list is only ever added to (a word of a chunk that then fails corrects to
                    # nothing), and the writer's transaction, the import's bottleneck, is spared it
                    record_title_words(prepared.title_keys)
                writer.submit(prepared)
            position = stop
            progress()
    finally:
        writer.close()
    if writer.failed is not None:
        start, _ = writer.failed
        if start in saved:
            restore(ctx, saved[start], start)


def dry_run(
    ctx: Context,
    run: ImportRun,
    table: Table,
    chunk: int,
    ordinary: Callable[[int, int], tuple[dict[str, int], list[dict]]],
) -> tuple[dict[str, int], list[dict]]:
    """Every row's outcome and report lines, writing nothing where the rows allow it.

    Chunks are planned as the real run plans them (:func:`prepare_chunk`), with the run caches
    carrying what earlier chunks would have created. A chunk that needs the ordinary path
    (``ordinary(start, stop)``: updates, new tags …) runs for real inside one transaction that is
    rolled back at the end, opened only then: a file of new contacts is checked without taking
    the write lock at all, which on SQLite would block every other writer for the whole dry run.
    """
    counts = {"created": 0, "updated": 0, "skipped": 0, "error": 0}
    errors: list[dict] = []
    with contextlib.ExitStack() as stack:
        rolled_back = False
        for start in range(0, len(table.rows), chunk):
            stop = min(start + chunk, len(table.rows))
            before = snapshot(ctx)
            prepared = prepare_chunk(ctx, run, table, start, stop, None)
            if prepared is None:
                restore(ctx, before, start)
                _forget_unsaved_companies(ctx)  # planned, never written: the ordinary path must not link them
                if not rolled_back:
                    stack.enter_context(_rolled_back())
                    rolled_back = True
                chunk_counts, chunk_errors = ordinary(start, stop)
            else:
                ctx.created_emails.update(dict.fromkeys(prepared.emails, start))
                chunk_counts, chunk_errors = prepared.counts, prepared.errors
            for outcome, n in chunk_counts.items():
                counts[outcome] += n
            errors.extend(chunk_errors)
    return counts, errors


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def _rolled_back() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def _forget_unsaved_companies(ctx: Context) -> None:
    for cache in (ctx.companies_by_name, ctx.companies_by_domain):
        for key in [k for k, company in cache.items() if company is not None and company.pk is None]:
            del cache[key]
