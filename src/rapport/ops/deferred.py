"""Bulk loads into (nearly) empty PostgreSQL tables without their secondary indexes and constraints.

Maintaining a B-tree, a trigram GIN index or a foreign-key check row by row costs far more than
building the index once from sorted data, or checking a foreign key with one anti-join, after the
rows are in: that is what ``pg_restore`` does, and what ``seed_demo`` does for a large data set on
PostgreSQL. :func:`deferred_indexes` drops, for the tables it is given that hold few rows yet,

* every index that does not back the primary key or a constraint,
* unique and exclusion constraints (unless a foreign key depends on them),
* foreign keys,

and makes them again afterwards (indexes on two connections at once), by the statements PostgreSQL
itself gives for them (``pg_get_indexdef``, ``pg_get_constraintdef``), so nothing is restated by
hand. Each statement is stored as a :class:`~rapport.ops.models.PendingRebuild` row, committed
before the drop and deleted in the transaction that runs it: a load that dies half-way leaves the
list of what is missing, :func:`rebuild_pending` (the next ``seed_demo``) puts it back, and the
system check :func:`check_pending_rebuilds` warns until then.

Rebuilding also proves the loaded rows right: a unique index or a foreign key that the rows
break fails to build, and the load reports it instead of leaving bad data behind.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from django.core import checks
from django.db import connection, connections, transaction

from rapport.ops.models import PendingRebuild

Log = Callable[[str], None]
ORDER = ("constraint", "index", "foreign key")  # unique constraints first: foreign keys may need them

_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid)
ORDER BY c.relname
"""
_CONSTRAINTS = """
SELECT k.conname, k.contype, pg_get_constraintdef(k.oid)
FROM pg_constraint k
WHERE k.conrelid = %s::regclass AND k.contype IN ('u', 'x', 'f')
  AND NOT (k.contype <> 'f' AND EXISTS (
      SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid))
ORDER BY k.conname
"""


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows_below(table: str, limit: int) -> bool:
    """Whether ``table`` holds fewer than ``limit`` rows (reads at most ``limit`` of them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {_quote(table)} LIMIT %s) AS t", [limit])  # noqa: S608
        return cursor.fetchone()[0] < limit


def drop(tables: Iterable[str]) -> list[PendingRebuild]:
    """Drop the secondary indexes and constraints of ``tables``; returns what must be rebuilt."""
    pending: list[PendingRebuild] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(_CONSTRAINTS, [table])
            for name, kind, definition in cursor.fetchall():
                pending.append(
                    PendingRebuild(
                        table=table,
                        name=name,
                        kind="foreign key" if kind == "f" else "constraint",
                        statement=f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}",
                    )
                )
            cursor.execute(_INDEXES, [table])
            for name, definition in cursor.fetchall():
                pending.append(PendingRebuild(table=table, name=name, kind="index", statement=definition))
    pending.sort(key=lambda p: ORDER.index(p.kind))
    with transaction.atomic():  # the list is committed before anything is dropped
        PendingRebuild.objects.bulk_create(pending)
    with transaction.atomic(), connection.cursor() as cursor:
        for item in reversed(pending):  # foreign keys first: a unique constraint may be referenced
            if item.kind == "index":
                cursor.execute(f"DROP INDEX {_quote(item.name)}")
            else:
                cursor.execute(f"ALTER TABLE {_quote(item.table)} DROP CONSTRAINT {_quote(item.name)}")
    return pending


def rebuild_pending(log: Log | None = None, *, workers: int = 2) -> int:
    """Run every stored rebuild statement (indexes on ``workers`` connections); returns how many ran."""
    items = list(PendingRebuild.objects.all())
    if not items:
        return 0
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
            [sorted({item.table for item in items})],
        )
        size = dict(cursor.fetchall())
    for kind in ORDER:
        # the biggest tables first, so the connections finish close together
        batch = sorted((item for item in items if item.kind == kind), key=lambda i: -size.get(i.table, 0))
        _run_parallel(batch, workers if kind != "foreign key" else 1, log)
    if log:
        log(f"  rebuilt {len(items)} indexes and constraints in {time.monotonic() - started:.0f}s")
    return len(items)


def _run_parallel(items: list[PendingRebuild], workers: int, log: Log | None) -> None:
    if not items:
        return
    queue = list(items)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(conn) -> None:
        while True:
            with lock:
                if not queue or errors:
                    return
                item = queue.pop(0)
            started = time.monotonic()
            try:
                with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
                    cursor.execute(item.statement)
                    cursor.execute(f"DELETE FROM {PendingRebuild._meta.db_table} WHERE id = %s", [item.pk])  # noqa: S608
            except BaseException as error:  # reported by the caller, with the statement
                errors.append(RuntimeError(f"Could not rebuild {item}: {error}\n  {item.statement}"))
                return
            seconds = time.monotonic() - started
            if log and seconds >= 1:
                log(f"  {item.kind} {item.name}: {seconds:.1f}s")

    if workers <= 1:
        work(connection)
    else:
        threads = [threading.Thread(target=_work_on_own_connection, args=(work,)) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]


def _work_on_own_connection(work: Callable) -> None:
    try:
        work(connections["default"])  # a thread gets its own connection object
    finally:
        connections["default"].close()


@contextlib.contextmanager
def deferred_indexes(tables: Iterable[str], *, below: int, log: Log | None = None) -> Iterator[list[str]]:
    """Load ``tables`` without their secondary indexes and constraints, when that pays.

    Only on PostgreSQL, outside a transaction, and only the tables holding fewer than ``below``
    rows (building an index over rows already there is the part that does not pay). Yields the
    tables it deferred; rebuilds on the way out, also after an error (the load's own error wins).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield []
        return
    rebuild_pending(log)  # a previous load that died half-way
    chosen = [table for table in dict.fromkeys(tables) if _rows_below(table, below)]
    if not chosen:
        yield []
        return
    pending = drop(chosen)
    if log:
        log(f"  loading {len(chosen)} tables without their {len(pending)} secondary indexes and constraints")
    try:
        yield chosen
    except BaseException:
        try:
            rebuild_pending(log)
        except Exception as error:  # keep the load's error; the check and the next run report this one
            if log:
                log(f"  rebuilding after the error failed too: {error}")
        raise
    rebuild_pending(log)


def check_pending_rebuilds(app_configs, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when a bulk load died before putting its indexes and constraints back."""
    if not databases or "default" not in databases:
        return []
    from django.db.utils import DatabaseError

    try:
        missing = list(PendingRebuild.objects.values_list("table", "name")[:5])
        count = PendingRebuild.objects.count() if missing else 0
    except DatabaseError:  # before the table exists (a migrate from scratch)
        return []
    if not count:
        return []
    shown = ", ".join(f"{name} on {table}" for table, name in missing)
    return [
        checks.Warning(
            f"{count} indexes or constraints dropped by an interrupted bulk load are missing ({shown}…).",
            hint="Run `manage.py seed_demo --rebuild-indexes` to make them again.",
            id="rapport.ops.W001",
        )
    ]
