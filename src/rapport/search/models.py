"""The search index: one row per searchable record, maintained by :mod:`rapport.search.index`.

Engine-specific parts are created by migration 0002 and are not Django fields:
PostgreSQL adds a generated ``search_vector`` tsvector column with a GIN index, pg_trgm GIN
indexes on ``title_key``, ``emails``, ``domains``, ``phones`` and the word list, and byte-order
(``COLLATE "C"``) B-tree indexes for prefix matches; SQLite adds ``search_fts``, an FTS5 table
with the trigram tokenizer over the same columns, kept in sync by triggers.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from rapport.core.models import WorkspaceManager


class IndexManager(WorkspaceManager):
    """Scoped to the active workspace like business records, but index rows are really deleted."""

    def get_queryset(self) -> models.QuerySet:
        scoped = super().get_queryset()
        return models.QuerySet(self.model, query=scoped.query, using=scoped.db)


class SearchEntry(models.Model):
    # Derived rows rebuilt from the records: no database foreign keys, and no single-column indexes
    # (the unique record constraint and the engine's indexes serve every read); see
    # docs/decisions/0003-write-path-indexes.md.
    workspace = models.ForeignKey(
        "core.Workspace", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    title_key = models.CharField(max_length=300, help_text="Title lower-cased without accents: what is matched.")
    subtitle = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text="Other searchable words, folded like title_key.")
    emails = models.TextField(blank=True, help_text="Lower-cased addresses separated by spaces.")
    email_key = models.CharField(max_length=254, blank=True, help_text="The first address, for prefix matches.")
    phones = models.TextField(blank=True, help_text="E.164 numbers as digits only, separated by spaces.")
    domains = models.TextField(blank=True, help_text="Lower-cased domain names separated by spaces.")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = IndexManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="search_entry_unique_record"),
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return self.title


class SearchWord(models.Model):
    """Every distinct word of indexed names: PostgreSQL corrects typos against this small list.

    Words are only added (a word no longer in any name just corrects to nothing); filled on
    PostgreSQL only, where migration 0002 gives it a trigram index.
    """

    word = models.CharField(max_length=100, primary_key=True)

    def __str__(self) -> str:
        return self.word
