"""Set-based writes for generated data: COPY on PostgreSQL, ``executemany`` on SQLite.

The generator (:mod:`rapport.ops.generator`) builds rows as plain tuples in a fixed column order
and hands them to a :class:`Table`, which

* fills every other concrete column from the model field's default (``version`` 1, ``custom``
  ``{}``, booleans, blanks …) once per table, so generated rows obey the same defaults as rows
  written through the ORM;
* gives out primary keys up front (:meth:`Table.allocate`) so that child rows can point at their
  parents without reading anything back;
* converts the few values the engines store differently (JSON, and on SQLite datetimes and
  decimals) with Django's own adapters;
* writes with ``COPY … FROM STDIN`` (psycopg) or one ``executemany`` per chunk.

Nothing here runs model ``save()``, signals or validation: the caller is responsible for
consistent values (it is a seeding and benchmarking tool, not a write path for users).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import orjson
from django.db import connection, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields import NOT_PROVIDED

# rows and seconds written per table in this process (the generator reports them)
totals: dict[str, list] = {}


class Table:
    """One model's table, written with the columns named in ``columns`` (attnames)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        self.db_table = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no column(s) {', '.join(unknown)}")
        self.pk = model._meta.pk.attname
        self.columns = list(columns)
        self.defaults: list[tuple[str, Any]] = []
        for attname, field in fields.items():
            if attname in self.columns or (attname == self.pk and self.pk not in self.columns):
                continue
            if field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif field.default is NOT_PROVIDED and field.empty_strings_allowed and field.blank:
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{attname} has no default: give it a value")
            self.defaults.append((attname, value))
        self.all_columns = self.columns + [name for name, _ in self.defaults]
        self.fields = [fields[name] for name in self.all_columns]
        self.tail = tuple(value for _, value in self.defaults)
        self.vendor = connection.vendor
        self.converters = [self._converter(field) for field in self.fields]
        self.written = 0
        self.seconds = 0.0  # time spent writing (the database's share of the work)
        totals.setdefault(self.db_table, [0, 0.0])

    # -- keys
    def allocate(self, count: int) -> int:
        """Reserve ``count`` primary keys; returns the first (the keys are first … first+count-1)."""
        if count <= 0:
            return 0
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [self.db_table, self.pk])
                sequence = cursor.fetchone()[0]
                top = f"SELECT COALESCE(MAX({connection.ops.quote_name(self.pk)}), 0) FROM {self.db_table}"  # noqa: S608
                cursor.execute(
                    f"SELECT setval(%s, GREATEST(({top}), nextval(%s) - 1) + %s)",
                    [sequence, sequence, count],
                )
                return cursor.fetchone()[0] - count + 1
            first = getattr(self, "_next_sqlite", None)
            if first is None:
                cursor.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(self.pk)}), 0) FROM {self.db_table}")  # noqa: S608
                first = cursor.fetchone()[0] + 1
            self._next_sqlite = first + count
            return first

    # -- values
    def _converter(self, field: models.Field):
        if isinstance(field, models.JSONField):
            return _json_text
        if self.vendor == "postgresql":
            return None
        if isinstance(field, models.DateTimeField):
            return _last_value_cache(connection.ops.adapt_datetimefield_value)
        if isinstance(field, models.DecimalField):
            return lambda value: None if value is None else str(value)
        if isinstance(field, models.DateField):
            return lambda value: None if value is None else value.isoformat()
        return None

    def _prepare(self, rows: Iterable[tuple]) -> Iterable[tuple]:
        tail = self.tail
        active = [(i, conv) for i, conv in enumerate(self.converters) if conv is not None]
        for row in rows:
            full = row + tail
            if active:
                full = list(full)
                for i, conv in active:
                    full[i] = conv(full[i])
            yield full

    # -- writing
    def write(self, rows: Sequence[tuple]) -> int:
        """Insert ``rows`` (tuples in ``columns`` order) in the current transaction."""
        if not rows:
            return 0
        started = time.perf_counter()
        quoted = ", ".join(connection.ops.quote_name(c) for c in self.all_columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {self.db_table} ({quoted}) FROM STDIN") as copy:
                    _copy_rows(copy, self._prepare(rows))
            else:
                _insert_sqlite(
                    cursor.cursor,  # the driver's cursor: no per-statement logging of thousands of values
                    f"INSERT INTO {self.db_table} ({quoted}) VALUES ",  # noqa: S608 - names from the model
                    self._prepare(rows),
                    len(self.all_columns),
                )
        self._done(len(rows), started)
        return len(rows)

    def write_encoded(self, data: bytes, count: int) -> int:
        """Insert ``count`` rows given as their COPY text (:func:`encode_copy`), in the current transaction."""
        started = time.perf_counter()
        quoted = ", ".join(connection.ops.quote_name(c) for c in self.all_columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {self.db_table} ({quoted}) FROM STDIN") as copy:
            copy.write(data)
        self._done(count, started)
        return count

    def _done(self, count: int, started: float) -> None:
        self.written += count
        self.seconds += time.perf_counter() - started
        total = totals.setdefault(self.db_table, [0, 0.0])
        total[0] += count
        total[1] += time.perf_counter() - started


def encode_copy(table: Table, rows: Sequence[tuple]) -> bytes | None:
    """PostgreSQL: the ``COPY … FROM STDIN`` text of ``rows``, made without writing anything.

    The same bytes :meth:`Table.write` sends (psycopg's own formatter, the current connection's
    adapters), so the formatting can run in one thread and the sending in another
    (:meth:`Table.write_encoded`). ``None`` where that formatter is not available.
    """
    if table.vendor != "postgresql" or format_row_text is None:
        return None
    from psycopg.adapt import Transformer

    connection.ensure_connection()
    transformer, buffer = Transformer(connection.connection), bytearray()
    for row in table._prepare(rows):
        format_row_text(row, transformer, buffer)
    return bytes(buffer)


def _insert_sqlite(cursor: Any, head: str, rows: Iterable[Sequence[Any]], width: int) -> None:
    """Multi-row ``INSERT … VALUES (…), (…), …`` statements, as many rows each as SQLite allows.

    One statement runs as one ``sqlite3_step``: the Python GIL is released once per statement
    instead of once per row, so a writer thread is not held up by the thread planning the next
    batch (and even alone, fewer round trips through the driver).
    """
    import sqlite3

    getlimit = getattr(connection.connection, "getlimit", None)  # Python 3.11+
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 999
    per_statement = max(1, min(500, limit // width))
    # the driver's own execute, with its "?" marks: Django's wrapper would rewrite thousands of "%s"
    execute = functools.partial(sqlite3.Cursor.execute, cursor)
    row_marks = "(" + ", ".join(["?"] * width) + ")"
    statements: dict[int, str] = {}
    batch: list[Any] = []
    count = 0
    for row in rows:
        batch.extend(row)
        count += 1
        if count == per_statement:
            sql = statements.get(count) or statements.setdefault(count, head + ", ".join([row_marks] * count))
            execute(sql, batch)
            batch, count = [], 0
    if count:
        execute(head + ", ".join([row_marks] * count), batch)


try:  # psycopg's row formatter (C in psycopg-binary); private, hence the fallback
    from psycopg._copy_base import TextFormatter, format_row_text
except ImportError:  # pragma: no cover - another psycopg layout
    TextFormatter = format_row_text = None

COPY_BLOCK = 1 << 20  # bytes handed to libpq at a time


def _copy_rows(copy: Any, rows: Iterable[Sequence[Any]]) -> None:
    """``copy.write_row`` for each row, without its two Python calls per row.

    Rows are formatted into one buffer by psycopg's own (C) text formatter, the same bytes
    ``write_row`` would send, and handed over in blocks of about :data:`COPY_BLOCK` bytes.
    """
    formatter = getattr(copy, "formatter", None)
    if format_row_text is None or type(formatter) is not TextFormatter:
        for row in rows:
            copy.write_row(row)
        return
    transformer, buffer = formatter.transformer, bytearray()
    for row in rows:
        format_row_text(row, transformer, buffer)
        if len(buffer) > COPY_BLOCK:
            copy.write(buffer)
            buffer = bytearray()
    if buffer:
        copy.write(buffer)


def _last_value_cache(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``adapt`` remembering its last argument: a batch stamps most rows with the same moment."""
    last: list[Any] = [object(), None]

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if value is not last[0]:
            last[0], last[1] = value, adapt(value)
        return last[1]

    return convert


def _json_text(value: Any) -> str | None:
    """A JSON column's text: orjson takes a tenth of ``json.dumps``' time per History row.

    The document is the same (compact, and UTF-8 instead of ``\\u`` escapes); ``json.dumps``
    stays the fallback for what orjson refuses, such as integers beyond 64 bits.
    """
    if value is None:
        return None
    if value == {}:
        return "{}"
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def money(value: float | int | Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def instances(table: Table, rows: Sequence[tuple]) -> list[models.Model]:
    """Model instances of ``rows`` (for History and search documents), one per row.

    Built like :meth:`Model.from_db` minus its per-field ``setattr``: each instance gets the
    attribute dict ``Model.__init__`` would give it (every concrete attname) in one assignment,
    several times cheaper. Models with ``pre_init``/``post_init`` receivers go through ``__init__``.
    """
    model = table.model
    tail = dict(table.defaults)
    concrete = [f.attname for f in model._meta.concrete_fields]
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        position = {name: i for i, name in enumerate(table.columns)}
        picks = [(position[name], None) if name in position else (None, tail.get(name)) for name in concrete]
        return [model(*[row[i] if i is not None else default for i, default in picks]) for row in rows]
    base = {name: tail.get(name) for name in concrete}
    columns = table.columns
    new, state = model.__new__, ModelState
    made = []
    for row in rows:
        obj = new(model)
        values = base.copy()
        values.update(zip(columns, row, strict=True))
        values["_state"] = state()
        obj.__dict__ = values
        made.append(obj)
    return made


def light(model: type[models.Model], **values: Any) -> models.Model:
    """An unsaved instance of ``model`` with ``values`` and ``None`` elsewhere, built without ``__init__``.

    For the related rows a search ``describe`` reads (a contact's e-mail addresses and phones):
    every concrete attname is set, so reading one never triggers a deferred-field query.
    """
    base = _light_base.get(model)
    if base is None:
        base = _light_base[model] = {f.attname: None for f in model._meta.concrete_fields}
    obj = model.__new__(model)
    attrs = base.copy()
    attrs.update(values)
    attrs["_state"] = ModelState()
    obj.__dict__ = attrs
    return obj


_light_base: dict[type, dict[str, Any]] = {}


Step = tuple[Table, Sequence[tuple]]


class Writer:
    """Runs batches of writes, each in one transaction, in order.

    With ``threaded`` the batches run in a background thread with its own database connection,
    so the database works while Python builds the next batch (PostgreSQL: two cores busy instead
    of one). Without it (SQLite, tests inside a transaction) each batch runs at once.
    """

    def __init__(self, *, threaded: bool = False, depth: int = 2):
        self.threaded = threaded
        self.error: BaseException | None = None
        if threaded:
            import queue
            import threading

            self.queue: queue.Queue = queue.Queue(maxsize=depth)
            self.thread = threading.Thread(target=self._loop, name="rapport-seed-writer", daemon=True)
            self.thread.start()

    def submit(self, steps: Sequence[Step], after: Callable[[], object] | None = None) -> None:
        if self.error is not None:
            raise RuntimeError(f"Writing generated rows failed: {self.error}") from self.error
        if self.threaded:
            self.queue.put((steps, after))
        else:
            self._run(steps, after)

    @staticmethod
    def _run(steps: Sequence[Step], after: Callable[[], object] | None) -> None:
        from django.db import transaction

        with transaction.atomic():
            for table, rows in steps:
                table.write(rows)
            if after is not None:
                after()

    def _loop(self) -> None:
        from django.db import connection as thread_connection

        try:
            if thread_connection.vendor == "postgresql":
                with thread_connection.cursor() as cursor:  # a seed can be re-run: no need to wait for fsync
                    cursor.execute("SET synchronous_commit TO off")
            while True:
                item = self.queue.get()
                if item is None:
                    return
                if self.error is None:
                    try:
                        self._run(*item)
                    except BaseException as error:  # reported to the producer on its next call
                        self.error = error
        finally:
            thread_connection.close()

    def close(self) -> None:
        if self.threaded:
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise RuntimeError(f"Writing generated rows failed: {self.error}") from self.error
