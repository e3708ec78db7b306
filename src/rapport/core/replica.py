"""Reports read from a PostgreSQL read replica when ``DATABASE_REPLICA_URL`` is set.

Only code that asks for it reads from the replica: wrap a report in :func:`reports_on_replica`
(the forecast page and API, the stage analytics). Everything else — pages that show what a person
has just saved, every write, every transaction — stays on ``default``, so replication lag never
shows as "my change is gone". Without a replica configured the context manager does nothing.

Inside a transaction on ``default`` (an atomic block) reads stay on ``default`` too: a report run
as part of a write must see that write.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("rapport_reports_on_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def reports_on_replica() -> Iterator[None]:
    """Reads of the ``with`` block go to the replica (when one is configured and no transaction is open)."""
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def on_replica[F: Callable[..., Any]](view: F) -> F:
    """Decorator form of :func:`reports_on_replica` for report views."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reports_on_replica():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    """Sends the reads of :func:`reports_on_replica` blocks to ``replica``; everything else to ``default``."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _wanted.get() and replica_configured() and not connections["default"].in_atomic_block:
            return REPLICA
        return None  # Django's default: "default"

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica is a copy of default: the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows default's schema through replication
