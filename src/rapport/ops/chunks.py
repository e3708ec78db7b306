"""The generator's phases in chunks, each drawn from its own random stream, on one or more processes.

A chunk of contacts, deals or activities depends only on what earlier phases made (companies,
contacts…) and on its own random stream, seeded from ``(seed, phase, chunk number)``: so chunks
can be made in any order, by any process, and the data is the same for one process or several.

With ``Generator.processes`` above 1 (PostgreSQL, outside a transaction), the chunks of a phase go
to a pool of processes forked when the phase starts (they inherit what earlier phases made); each
writes its chunks on its own connection, one transaction per chunk, and sends back only what
later phases need (which contacts belong to which company…). The parent merges those results in
chunk order. Generating rows is Python work on one core per process: this is what lets a seed of a
million contacts use every core instead of one.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rapport.ops import bulk

if TYPE_CHECKING:
    from rapport.ops.generator import Generator

Make = Callable[[int, int], Any]  # (first row of the phase in this chunk, rows) -> what later phases need

# the generator and the phase's chunk function, for the forked processes (set before forking)
_forked: tuple[Generator, Make] | None = None


@dataclass(frozen=True)
class Task:
    phase: str
    index: int
    start: int
    size: int


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def run_chunks(gen: Generator, phase: str, total: int, make: Make, merge: Callable[[Any], None]) -> None:
    """Make ``total`` records of ``phase``: ``make(start, size)`` per chunk, ``merge(result)`` in order."""
    chunk = gen.plan.chunk
    tasks = [Task(phase, i, start, min(chunk, total - start)) for i, start in enumerate(range(0, total, chunk))]
    if gen.processes > 1 and len(tasks) > 1:
        results: Iterator[Any] = _in_processes(gen, make, tasks)
    else:
        results = (_one(gen, make, task) for task in tasks)
    for task, result in zip(tasks, results, strict=True):
        merge(result)
        gen._progress(phase, task.start + task.size, total)


def _one(gen: Generator, make: Make, task: Task) -> Any:
    gen.reseed(task.phase, task.index)
    return make(task.start, task.size)


def _in_processes(gen: Generator, make: Make, tasks: list[Task]) -> Iterator[Any]:
    global _forked
    _forked = (gen, make)
    _close_connections()  # a forked process must not share the parent's connections (nor its pool)
    context = multiprocessing.get_context("fork")
    pool = context.Pool(min(gen.processes, len(tasks)), initializer=_start_process)
    try:
        for result, counts, history, search, totals in pool.imap(_in_process, tasks):
            for name, value in counts.items():
                gen._count(name, value)
            gen.history.written += history
            gen.search.written += search
            for table, (rows, seconds) in totals.items():
                mine = bulk.totals.setdefault(table, [0, 0.0])
                mine[0] += rows
                mine[1] += seconds
            yield result
        pool.close()
        pool.join()
    finally:
        pool.terminate()
        _forked = None


def _start_process() -> None:
    from multiprocessing.util import Finalize

    gen, _make = _forked
    _own_connections()
    gen.writer = bulk.Writer(threaded=False)  # this process writes its own chunks, in order
    Finalize(None, _close_connections, exitpriority=10)  # a clean goodbye to the server on exit


def _own_connections() -> None:
    """Make sure this forked process never touches a connection (or a pool) of its parent.

    The parent closed its own before forking, but another of its threads (a test's live server,
    a pool's background worker) may have opened one since: its socket is the parent's. So the
    connection objects this process inherited are dropped without closing them, the inherited
    pools are forgotten, and this process connects without a pool (one connection is all it uses).
    """
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.connection = None  # not close(): that would end the parent's session
    for conn in connections.all():
        options = conn.settings_dict.get("OPTIONS") or {}
        if "pool" in options:
            conn.settings_dict = {**conn.settings_dict, "OPTIONS": {k: v for k, v in options.items() if k != "pool"}}
        if hasattr(type(conn), "_connection_pools"):
            type(conn)._connection_pools = {}


def _close_connections() -> None:
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        if hasattr(conn, "close_pool"):  # PostgreSQL with a connection pool (settings.py)
            conn.close_pool()


def _in_process(task: Task) -> tuple:
    gen, make = _forked
    gen.counts = {}
    history, search = gen.history.written, gen.search.written
    bulk.totals.clear()
    result = _one(gen, make, task)
    totals = {table: list(value) for table, value in bulk.totals.items() if value[0]}
    return result, gen.counts, gen.history.written - history, gen.search.written - search, totals
