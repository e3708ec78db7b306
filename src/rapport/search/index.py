"""Keeping the search index in step with records.

The app that owns a record type calls :func:`index_record` after creating or changing a record
(and :func:`remove_record` when it leaves for good); imports and seeding use :func:`index_many`.
A record in the recycle bin is never indexed: :func:`index_record` removes it instead, and
providers registered with ``describe=`` also follow delete/restore automatically
(see :mod:`rapport.search.providers`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from rapport.search.models import SearchEntry

BODY_MAX = 20_000
TEXT_MAX = 300
UPDATE_FIELDS = [
    "workspace",
    "title",
    "title_key",
    "subtitle",
    "body",
    "emails",
    "email_key",
    "phones",
    "domains",
    "updated_at",
]
# the columns of a bulk-written entry, in the order of :func:`entry_values`
ENTRY_COLUMNS = ["workspace_id", "content_type_id", "object_id", *(f for f in UPDATE_FIELDS if f != "workspace")]
_E164 = re.compile(r"^\+\d{7,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("José Müller" -> "jose muller"), the form that is matched."""
    if text and text.isascii():  # nothing to decompose: the same result, several times faster
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def phone_digits(raw: str, region: str | None = None) -> str:
    """A phone number as E.164 digits without "+" ("+1 (555) 010-2030" -> "15550102030")."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if not raw.startswith("+") and region:
        try:
            number = phonenumbers.parse(raw, region)
            if phonenumbers.is_possible_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
        except phonenumbers.NumberParseException:
            pass
    return re.sub(r"\D", "", raw)


def clean_domain(raw: str) -> str:
    domain = (raw or "").strip().lower()
    domain = re.sub(r"^[a-z][a-z0-9+.-]*://", "", domain)
    domain = domain.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    return domain.removeprefix("www.")


def _region(workspace_id: int, cache: dict[int, str]) -> str:
    """The workspace's phone region (cached for one indexing call; it may change between calls)."""
    from rapport.core.models import Workspace

    if workspace_id not in cache:
        region = Workspace.objects.filter(pk=workspace_id).values_list("default_region", flat=True).first()
        cache[workspace_id] = region or ""
    return cache[workspace_id]


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


@dataclass(frozen=True)
class Document:
    """What the index keeps of one record (the arguments of :func:`index_record`)."""

    title: str
    subtitle: str = ""
    texts: tuple[str, ...] | list[str] = ()
    emails: tuple[str, ...] | list[str] = ()
    phones: tuple[str, ...] | list[str] = ()
    domains: tuple[str, ...] | list[str] = ()


def entry_values(
    record: models.Model,
    document: Document,
    content_type_id: int,
    regions: dict[int, str],
    now: dt.datetime | None = None,
) -> tuple[Any, ...]:
    """The record's search entry as a row in :data:`ENTRY_COLUMNS` order, for bulk writers.

    Imports and the data generator write thousands of entries at once: a plain row spares them a
    model instance per entry. ``regions`` caches each workspace's phone region for the call;
    ``now`` is the entry's ``updated_at`` (the current time if not given).
    """
    workspace_id = record.workspace_id  # type: ignore[attr-defined]
    emails = [e.strip().lower() for e in document.emails if e and e.strip()]
    phones = [str(p) for p in document.phones if p]
    plain_texts = []
    for text in document.texts:  # custom fields hand over phones and emails as texts: file them properly
        if not text:
            continue
        text = str(text)
        stripped = text.strip()
        if _E164.match(stripped):
            phones.append(stripped)
        elif _EMAIL.match(stripped):
            emails.append(stripped.lower())
        else:
            plain_texts.append(text)
    region = ""
    for phone in phones:
        if not phone.startswith("+"):
            region = _region(workspace_id, regions)
            break
    if len(emails) > 1:
        emails = _unique(emails)
    domains = _unique(clean_domain(d) for d in document.domains if d) if document.domains else []
    # Domains also go into the body as whole words: PostgreSQL finds "acme.com" as one lexeme.
    email_domains = _unique(e.rsplit("@", 1)[1] for e in emails if "@" in e)
    title = (document.title or "").strip()[:TEXT_MAX] or f"#{record.pk}"
    return (
        workspace_id,
        content_type_id,
        record.pk,
        title,
        fold(title)[:TEXT_MAX],
        (document.subtitle or "").strip()[:TEXT_MAX],
        fold(" ".join([*plain_texts, *domains, *email_domains]))[:BODY_MAX],
        " ".join(emails),
        emails[0][:254] if emails else "",
        " ".join(_unique(phone_digits(p, region) for p in phones)),
        " ".join(domains),
        now or timezone.now(),
    )


def _entry(record: models.Model, document: Document, content_type: ContentType, regions: dict[int, str]) -> SearchEntry:
    values = entry_values(record, document, content_type.pk, regions)
    return SearchEntry(**dict(zip(ENTRY_COLUMNS, values, strict=True)))


def record_words(entries: Iterable[SearchEntry]) -> None:
    """Add the words of the entries' names to the typo-correction list (PostgreSQL only)."""
    record_title_words(e.title_key for e in entries)


def record_title_words(title_keys: Iterable[str]) -> None:
    """Add the words of these folded titles (``title_key``) to the typo-correction list (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    words = sorted({w for key in title_keys for w in _WORD.findall(key) if 3 <= len(w) <= 100})
    if words:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO search_searchword (word) SELECT unnest(%s::varchar[]) ON CONFLICT DO NOTHING", [words]
            )


def _upsert(entries: list[SearchEntry]) -> None:
    if entries:
        SearchEntry.objects.bulk_create(
            entries,
            update_conflicts=True,
            unique_fields=["content_type", "object_id"],
            update_fields=UPDATE_FIELDS,
        )
        record_words(entries)


def index_record(
    record: models.Model,
    *,
    title: str,
    subtitle: str = "",
    texts: Iterable[str] = (),
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    domains: Iterable[str] = (),
) -> None:
    """Add or refresh the record's entry; a record in the recycle bin is removed instead."""
    if getattr(record, "deleted_at", None) is not None:
        remove_record(record)
        return
    document = Document(title, subtitle, tuple(texts), tuple(emails), tuple(phones), tuple(domains))
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=True)
    _upsert([_entry(record, document, content_type, {})])


def remove_record(record: models.Model) -> None:
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=True)
    SearchEntry.objects.filter(
        workspace_id=record.workspace_id,  # type: ignore[attr-defined]
        content_type=content_type,
        object_id=record.pk,
    ).delete()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


Describe = Callable[[models.Model], "Document | dict[str, Any]"]


def _document(described: Document | dict[str, Any]) -> Document:
    if isinstance(described, Document):
        return described
    return Document(**described)


def index_many(records: Iterable[models.Model], describe: Describe, *, chunk_size: int = 1000) -> int:
    """Index many records with set-based upserts; ``describe(record)`` returns a Document or its kwargs.

    Records in the recycle bin are removed from the index. Returns the number of entries written.
    """
    written = 0
    regions: dict[int, str] = {}
    for chunk in _chunks(records, chunk_size):
        live = [r for r in chunk if getattr(r, "deleted_at", None) is None]
        gone = [r for r in chunk if getattr(r, "deleted_at", None) is not None]
        entries = []
        for record in live:
            content_type = ContentType.objects.get_for_model(record, for_concrete_model=True)
            entries.append(_entry(record, _document(describe(record)), content_type, regions))
        with transaction.atomic():
            _upsert(entries)
            if gone:
                remove_many(type(gone[0]), [r.pk for r in gone])
        written += len(entries)
    return written


def remove_many(model: type[models.Model], pks: Iterable[int]) -> int:
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    removed = 0
    for chunk in _chunks(pks, 1000):
        removed += SearchEntry.objects.filter(content_type=content_type, object_id__in=chunk).delete()[0]
    return removed
