"""History rows and search entries for generated records, written in bulk.

Both follow what the app writes for one record: the History row is the same "create" row
:func:`rapport.core.history.record_created` writes (tracked fields, old value ``None``), and the
search entry is built by the record type's registered search provider (its ``describe``) and
:func:`rapport.search.index` — so search finds generated records exactly as it finds typed ones.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from unittest import mock

from django.contrib.contenttypes.models import ContentType
from django.db import models

from rapport.core.models import RecordHistory, Workspace
from rapport.ops.bulk import Step, Table
from rapport.search.index import ENTRY_COLUMNS

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

    def created(self, records: Sequence[models.Model]) -> list[Step]:
        """The write step of the records' "create" rows (none when History is switched off)."""
        if not self.enabled or not records:
            return []
        content_type = ContentType.objects.get_for_model(type(records[0]), for_concrete_model=True).pk
        jsonable = self.jsonable
        rows = []
        for record in records:
            changes = {
                name: [None, jsonable(value)]
                for name, value in record.tracked_values().items()
                if value not in (None, "", {}, [])
            }
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
                    changes,
                )
            )
        self.written += len(rows)
        return [(self.table, rows)]


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
        with _definitions_cached():
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
