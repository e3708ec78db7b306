"""History rows and search entries for generated records, written in bulk.

Both follow what the app writes for one record: the History row is the same "create" row
:func:`rapport.core.history.record_created` writes (tracked fields, old value ``None``), and the
search entry is built by the record type's registered search provider (its ``describe``) and
:func:`rapport.search.index` — so search finds generated records exactly as it finds typed ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from unittest import mock

from django.contrib.contenttypes.models import ContentType
from django.db import models

from rapport.core.models import RecordHistory, Workspace
from rapport.ops.bulk import Step, Table
from rapport.search.index import ENTRY_COLUMNS
from rapport.search.index import fold as app_fold

HISTORY_SOURCE = "system"
# the columns bulk writers fill (the generator here, the batched import)
HISTORY_COLUMNS = [
    "workspace_id",
    "content_type_id",
    "object_id",
    "object_repr",
    "action",
    "actor_id",
    "source",
    "at",
    "changes",
]


class HistoryWriter:
    """The "create" History row of each generated business record."""

    def __init__(self, workspace: Workspace, *, enabled: bool = True):
        from rapport.core.history import _jsonable

        self.enabled = enabled
        self.workspace_id = workspace.pk
        self.jsonable = _jsonable
        self.table = Table(RecordHistory, HISTORY_COLUMNS)
        self.written = 0
        self._last_moment: list[Any] = [object(), ""]

    def created(self, records: Sequence[models.Model], table: Table | None = None) -> list[Step]:
        """The write step of the records' "create" rows (none when History is switched off).

        ``table``: the :class:`Table` the records were built from with :func:`rapport.ops.bulk.instances`;
        its columns left at an empty default (``None``, ``""``, ``{}``) are then not looked at per record.
        """
        if not self.enabled or not records:
            return []
        model = type(records[0])
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=True).pk
        tracked = _tracked_attnames(model)
        if tracked is not None and table is not None and table.model is model:
            empty = {name for name, value in table.defaults if value is None or value in ("", {}, [])}
            tracked = [name for name in tracked if name not in empty]
        changes_of = self._changes_fast if tracked is not None else self._changes
        rows = []
        for record in records:
            rows.append(
                (
                    self.workspace_id,
                    content_type,
                    record.pk,
                    str(record)[:200],
                    "create",
                    record.created_by_id,
                    HISTORY_SOURCE,
                    record.created_at,
                    changes_of(record, tracked),
                )
            )
        self.written += len(rows)
        return [(self.table, rows)]

    def _changes(self, record: models.Model, _tracked: Any) -> dict[str, Any]:
        """What :func:`rapport.core.history.record_created` stores: tracked fields with a value."""
        jsonable = self.jsonable
        return {
            name: [None, jsonable(value)]
            for name, value in record.tracked_values().items()
            if value not in (None, "", {}, [])
        }

    def _changes_fast(self, record: models.Model, tracked: list[str]) -> dict[str, Any]:
        """:meth:`_changes` read from the instance dict, with plain values and repeated moments not converted again.

        Same keys, order and values (``test_history_rows_match_the_apps``); ``tracked`` is what the
        model's (not overridden) ``tracked_values`` iterates.
        """
        values = record.__dict__
        changes = {}
        last = self._last_moment
        for name in tracked:
            value = values[name] if name in values else getattr(record, name)
            kind = type(value)
            if kind is str:
                if value:
                    changes[name] = [None, value]
            elif value is None:
                continue
            elif kind is int or kind is bool or kind is float:
                changes[name] = [None, value]
            elif kind is dt.datetime:
                if value is not last[0]:
                    last[0], last[1] = value, value.isoformat()
                changes[name] = [None, last[1]]
            elif value not in ({}, []):
                changes[name] = [None, self.jsonable(value)]
        return changes


def _tracked_attnames(model: type[models.Model]) -> list[str] | None:
    """The attnames ``tracked_values`` reports for ``model``, or ``None`` if the model overrides it."""
    from rapport.core.models import WorkspaceScoped

    found = _TRACKED.get(model, ...)
    if found is ...:
        if getattr(model, "tracked_values", None) is not WorkspaceScoped.tracked_values:
            found = None
        else:
            excluded = model.history_excluded
            found = [f.attname for f in model._meta.concrete_fields if f.name not in excluded]
        _TRACKED[model] = found
    return found


_TRACKED: dict[type, list[str] | None] = {}


@contextlib.contextmanager
def _definitions_cached() -> Iterator[None]:
    """Custom field definitions read once per batch instead of once per record (contacts' describe)."""
    try:
        from rapport.contacts import integration
    except ImportError:  # pragma: no cover - contacts is always installed
        yield
        return
    with mock.patch.object(integration, "definitions", functools.cache(integration.definitions)):
        yield


@functools.lru_cache(maxsize=1 << 16)
def _fold_cached(text: str) -> str:
    return app_fold(text)  # the original, bound at import (the module attribute is patched during a batch)


def fast_fold(text: str) -> str:
    """:func:`rapport.search.index.fold`, cheaper: ASCII text has no accents to strip (NFKD leaves it
    as it is), and other text (names, mostly) repeats, so its folded form is cached."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().split())
    return _fold_cached(text)


class SearchWriter:
    """Search entries through each record type's registered ``describe``; engine rows by triggers/COPY."""

    def __init__(self, *, enabled: bool = True):
        from rapport.search.models import SearchEntry

        self.enabled = enabled
        self.table = Table(SearchEntry, ENTRY_COLUMNS)
        self.written = 0
        self.regions: dict[int, str] = {}

    def rows(self, records: Sequence[models.Model]) -> list[tuple[Any, ...]]:
        """The records' search entries as rows in ``ENTRY_COLUMNS`` order (none in the recycle bin)."""
        from rapport.search.index import _document, entry_values
        from rapport.search.providers import provider_for_model

        spec = provider_for_model(type(records[0])) if records else None
        if spec is None or spec.describe is None:
            return []
        content_type = ContentType.objects.get_for_model(type(records[0]), for_concrete_model=True).pk
        with _definitions_cached(), mock.patch("rapport.search.index.fold", fast_fold):
            return [
                entry_values(record, _document(spec.describe(record)), content_type, self.regions)
                for record in records
                if record.deleted_at is None
            ]

    def add(self, records: Sequence[models.Model]) -> tuple[list[Step], Callable[[], None] | None]:
        """The write step of the records' entries and what adds their words to the typo list."""
        if not self.enabled or not records:
            return [], None
        from rapport.search.index import record_title_words

        rows = self.rows(records)
        self.written += len(rows)
        title_key = ENTRY_COLUMNS.index("title_key")
        return [(self.table, rows)], lambda: record_title_words(row[title_key] for row in rows)
