"""Workspace archives: every record of one workspace in one zip file (docs/operations.md).

The zip holds ``manifest.json`` (format, versions, engine, migrations, content types by
``app_label.model``, per file its row count and SHA-256), ``workspace.json``, ``users.jsonl`` (people
by e-mail), ``data/<app_label.model>.jsonl`` (one JSON object per row) and ``files/<name>``.
Every installed model with a foreign key to Workspace is carried unless :data:`EXCLUDED` says why
not; :func:`coverage_problems` names any reference an import could not remap.

This module is the format and the walk over the models; the writer is in
``ops/management/commands/workspace_export.py`` and the reader in ``workspace_import.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
import zipfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils.duration import duration_string

from rapport.core.models import Workspace
from rapport.core.scoping import workspace_scope

FORMAT = "rapport-workspace-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1000
USER_FIELDS = ("email", "full_name", "time_zone", "is_active", "date_joined", "password")

# Models with a workspace foreign key that an archive does not carry, and why.
EXCLUDED: dict[str, str] = {
    "accounts.user": "people are carried by e-mail address in users.jsonl and matched by it on import",
    "search.searchentry": "derived data: the search index is rebuilt from the records after an import",
    "api.apitoken": "credentials: people create new API tokens in the installation that receives the workspace",
    "activities.calendarfeed": "secret feed links: people create a new calendar feed after a move",
}


@dataclass(frozen=True)
class GenericRef:
    """A reference to a row of any model: a type field (content type FK or model label) and an id field."""

    type_field: str
    id_field: str
    by_label: bool = False  # the type field holds "app_label.model" instead of a content type id
    many: bool = False  # the id field is a JSON list of ids


# References that are not foreign keys nor GenericForeignKeys (those are found by themselves).
DECLARED_REFS: dict[str, list[GenericRef]] = {
    "core.recordhistory": [GenericRef("content_type", "object_id")],
    "duplicates.merge": [GenericRef("content_type", "survivor_id"), GenericRef("content_type", "loser_ids", many=True)],
    "activities.activitylink": [GenericRef("target_type", "target_id", by_label=True)],
}
# Rows whose generic target is gone (a record purged from the recycle bin) are kept with id 0
# in these ledgers; elsewhere (tags, external ids, timeline links) such a row is left out.
KEEP_DANGLING = {"core.recordhistory", "imports.importitem", "duplicates.merge"}
# Secrets that must stay unique per installation: replaced by a random value on import.
FRESH_SECRETS = {"accounts.invitation": "token_hash"}


class ArchiveError(Exception):
    """The archive cannot be written or read; the message says what is wrong."""


# --- Which models ---------------------------------------------------------------------------


def workspace_fk(model: type[models.Model]) -> models.ForeignKey | None:
    return next(
        (f for f in model._meta.concrete_fields if f.is_relation and f.related_model is Workspace and f.many_to_one),
        None,
    )


def workspace_models() -> list[type[models.Model]]:
    """Every installed model with a foreign key to Workspace (carried or in EXCLUDED)."""
    return [m for m in apps.get_models() if m is not Workspace and workspace_fk(m) is not None]


def archived_models() -> list[type[models.Model]]:
    """The carried models in the order an import inserts them (referenced before referencing)."""
    chosen = [m for m in workspace_models() if m._meta.label_lower not in EXCLUDED]
    late = [m for m in chosen if generic_refs(m)]
    early = _toposort([m for m in chosen if m not in late])
    history = [m for m in late if m._meta.label_lower == "core.recordhistory"]
    return early + _toposort([m for m in late if m not in history]) + history


def _toposort(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    """Order by foreign keys; a cycle is broken at a nullable key (filled in after the inserts)."""
    remaining = {m: {f.related_model for f in fks(m) if f.related_model in chosen and f.related_model is not m}
                 for m in sorted(chosen, key=lambda m: m._meta.label_lower)}  # fmt: skip
    ordered: list[type[models.Model]] = []
    while remaining:
        ready = [m for m, deps in remaining.items() if not deps]
        if not ready:  # a cycle: take the model whose open references are all nullable
            ready = [
                next(
                    (m for m in remaining if all(f.null for f in fks(m) if f.related_model in remaining[m])),
                    next(iter(remaining)),
                )
            ]
        for model in ready:
            ordered.append(model)
            remaining.pop(model)
        for deps in remaining.values():
            deps.difference_update(ready)
    return ordered


def fks(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.is_relation]


def generic_refs(model: type[models.Model]) -> list[GenericRef]:
    found = list(DECLARED_REFS.get(model._meta.label_lower, []))
    for private in model._meta.private_fields:
        if isinstance(private, GenericForeignKey):
            ref = GenericRef(private.ct_field, private.fk_field)
            if ref not in found:
                found.append(ref)
    return found


def coverage_problems(chosen: list[type[models.Model]] | None = None) -> list[str]:
    """References of the carried models that an import could not rewrite (empty when all is covered)."""
    chosen = archived_models() if chosen is None else chosen
    known = {*chosen, Workspace, get_user_model(), ContentType}
    problems = []
    for model in chosen:
        label, refs = model._meta.label_lower, generic_refs(model)
        if model._meta.many_to_many:
            problems.append(f"{label}: many-to-many fields are not carried")
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model not in known:
                problems.append(f"{label}.{f.name} points at {f.related_model._meta.label_lower}, which is not carried")
            elif f.is_relation and f.related_model is ContentType and f.name not in {r.type_field for r in refs}:
                problems.append(f"{label}.{f.name}: a content type with no id field declared in DECLARED_REFS")
            elif not f.is_relation and f.name not in {r.id_field for r in refs}:
                looks_like_id = isinstance(f, models.IntegerField) and (f.name.endswith("_id") or f.name == "object_id")
                if looks_like_id or (isinstance(f, models.JSONField) and f.name.endswith("_ids")):
                    problems.append(
                        f"{label}.{f.name} looks like a row id of another model: declare it in DECLARED_REFS"
                    )
    return problems


def json_value(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rapport_version() -> str:
    try:
        return version("rapport")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def applied_migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


# --- Import ---------------------------------------------------------------------------------


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise ArchiveError(f"The archive has no {name}.") from None


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(read_member(archive, MANIFEST))
    except json.JSONDecodeError as error:
        raise ArchiveError(f"{MANIFEST} is not valid JSON: {error}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"This is not a Rapport workspace archive ({MANIFEST} does not say “{FORMAT}”).")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise ArchiveError(
            f"The archive has format version {manifest.get('format_version')!r}; this Rapport "
            f"({rapport_version()}) reads version {FORMAT_VERSION} or older: upgrade Rapport first."
        )
    return manifest


def verify(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Check the whole archive before anything is written: checksums, counts, models, fields, migrations."""
    missing = sorted(set(manifest.get("migrations", [])) - set(applied_migrations()))
    if missing:
        raise ArchiveError(
            f"The archive comes from a newer database schema ({len(missing)} migration(s) not applied here, "
            f"e.g. {missing[0]}): upgrade Rapport and run manage.py migrate first."
        )
    sections = [("users", manifest.get("users") or {}), *(manifest.get("models") or {}).items()]
    for label, entry in sections:
        data = read_member(archive, entry.get("file", f"data/{label}.jsonl"))
        if sha256(data) != entry.get("sha256"):
            raise ArchiveError(f"{entry.get('file')} is damaged: its SHA-256 does not match the manifest.")
        count = data.count(b"\n")
        if count != entry.get("count"):
            raise ArchiveError(f"{entry.get('file')} has {count} rows but the manifest says {entry.get('count')}.")
        if label == "users":
            continue
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            raise ArchiveError(
                f"The archive holds rows of “{label}”, a model this installation does not have."
            ) from None
        if label in EXCLUDED:
            raise ArchiveError(f"The archive holds rows of “{label}”, which archives never carry.")
        known = {f.attname for f in model._meta.concrete_fields}
        first = data.split(b"\n", 1)[0]
        try:
            unknown = sorted(set(json.loads(first)) - known) if first else []
        except (json.JSONDecodeError, TypeError):
            raise ArchiveError(f"{entry.get('file')} is not JSON Lines.") from None
        if unknown:
            raise ArchiveError(
                f"Rows of “{label}” have field(s) this installation does not know: {', '.join(unknown)}."
            )
    for name, digest in (manifest.get("files") or {}).items():
        if sha256(read_member(archive, f"files/{name}")) != digest:
            raise ArchiveError(f"files/{name} is damaged: its SHA-256 does not match the manifest.")
    for ct_id, label in (manifest.get("content_types") or {}).items():
        if "." not in label:
            raise ArchiveError(f"Content type {ct_id} is named “{label}”, not app_label.model.")


def model_or_none(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def rebuild_search(workspace: Workspace) -> int:
    """Index every searchable record of the workspace (what the search index holds for it)."""
    from rapport.search.index import index_many
    from rapport.search.providers import providers

    written = 0
    with workspace_scope(workspace.pk):
        for spec in providers():
            if spec.describe is None or workspace_fk(spec.model) is None:
                continue
            records = spec.model._base_manager.filter(workspace_id=workspace.pk).order_by("pk")
            written += index_many(records.iterator(chunk_size=CHUNK), spec.describe)
    return written
