"""``manage.py workspace_import <file> [--slug NEW]``: create a workspace from an archive written by
``workspace_export``, all or nothing (format in rapport.ops.archive, operation in docs/operations.md).

The whole archive is checked first (checksums, counts, models, fields, migrations); then, in one
transaction, the workspace is created, people are matched by e-mail (the missing ones created with
their password hash, so they log in as before), every row is inserted under a new primary key with
its foreign keys, generic references and the ids kept in JSON rewritten, the files are restored and
the search index is rebuilt. Any error rolls everything back and names the file, row and field.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_slug
from django.db import models, transaction

from rapport.core.models import Workspace
from rapport.core.scoping import audit_context, unscoped
from rapport.ops.archive import (
    CHUNK,
    FRESH_SECRETS,
    KEEP_DANGLING,
    USER_FIELDS,
    ArchiveError,
    GenericRef,
    archived_models,
    generic_refs,
    model_or_none,
    read_manifest,
    read_member,
    rebuild_search,
    verify,
)


@dataclass
class ImportResult:
    workspace: Workspace
    counts: dict[str, int]
    users_created: list[str]
    users_matched: list[str]
    left_out: dict[str, int]
    maps: dict[str, dict[int, int]] = field(repr=False)
    search_entries: int = 0


def import_workspace(
    path: Path | str,
    *,
    slug: str | None = None,
    name: str | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> ImportResult:
    """Create a workspace from the archive at ``path``: all or nothing."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"No archive at {path}.")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ArchiveError(f"{path} is not a zip file (is it a workspace archive?).") from None
    with archive:
        manifest = read_manifest(archive)
        verify(archive, manifest)
        slug = slug or (manifest.get("workspace") or {}).get("slug") or ""
        try:
            validate_slug(slug)
        except ValidationError:
            raise ArchiveError(f"“{slug}” is not a valid slug (letters, digits, hyphens, underscores).") from None
        if Workspace.objects.filter(slug=slug).exists():
            raise ArchiveError(f"A workspace with the slug “{slug}” exists already: choose another with --slug.")
        loader = _Loader(archive, manifest, log)
        saved: list[str] = []
        try:
            with transaction.atomic(), unscoped(), audit_context(actor=None, source="system"):
                result = loader.run(slug, name, saved)
        except Exception as error:
            for stored in saved:  # files are outside the transaction
                default_storage.delete(stored)
            if isinstance(error, ArchiveError):
                raise
            raise ArchiveError(f"The import failed and was rolled back: {type(error).__name__}: {error}") from error
    return result


class _Loader:
    def __init__(self, archive: zipfile.ZipFile, manifest: dict[str, Any], log: Callable[[str], None]):
        self.archive, self.manifest, self.log = archive, manifest, log
        self.maps: dict[str, dict[int, int]] = {}
        self.users: dict[int, int] = {}
        self.user_model = get_user_model()
        self.user_label = self.user_model._meta.label_lower
        self.ct_labels: dict[int, str] = {int(k): v for k, v in (manifest.get("content_types") or {}).items()}
        self.ct_ids: dict[str, int] = {}
        self.deferred: list[tuple[type[models.Model], int, str, models.Field, int]] = []
        self.moved_later: list[tuple[type[models.Model], int, list, str]] = []
        self.left_out: dict[str, int] = {}
        self.user_custom: dict[str, set[str]] = {}
        self.archived = set(archived_models())
        self.source_workspace_id: int | None = None

    # -- references
    def content_type_id(self, old: int) -> int:
        label = self.ct_labels.get(old)
        if label is None:
            raise ArchiveError(f"Content type {old} is used by a row but missing from the manifest.")
        if label not in self.ct_ids:
            app_label, model = label.split(".", 1)
            try:
                self.ct_ids[label] = ContentType.objects.get_by_natural_key(app_label, model).pk
            except ContentType.DoesNotExist:
                raise ArchiveError(f"Rows refer to the record type “{label}”, unknown here.") from None
        return self.ct_ids[label]

    def target_map(self, label: str) -> dict[int, int] | None:
        return self.users if label == self.user_label else self.maps.get(label)

    def remap(self, label: str, old: Any) -> int | None:
        """The new id of row ``old`` of model ``label`` (None when it is not in the archive)."""
        if old is None or isinstance(old, bool) or not str(old).isdigit():
            return None
        if label == "contenttypes.contenttype":
            return self.content_type_id(int(old)) if int(old) in self.ct_labels else None
        if label == "core.workspace":
            return self.workspace.pk if int(old) == self.source_workspace_id else None
        mapping = self.target_map(label)
        return None if mapping is None else mapping.get(int(old))

    def remap_value(self, model: type[models.Model] | None, name: str, value: Any) -> Any:
        """A value kept in JSON under a field name: foreign keys and custom "user" values get new ids."""
        if model is None or value is None:
            return value
        label = model._meta.label_lower
        if name == "custom" and isinstance(value, dict):
            return self.remap_custom(label, value)
        if name.startswith("custom."):
            key = name.removeprefix("custom.")
            return self.remap_user(value) if key in self.user_custom.get(label, ()) else value
        try:
            found = model._meta.get_field(name)
        except Exception:
            found = next((f for f in model._meta.concrete_fields if f.attname == name), None)
        if found is None or not found.is_relation or not found.concrete:
            return value
        if isinstance(value, (int, str)) and str(value).isdigit():
            return self.remap(found.related_model._meta.label_lower, value)
        return value

    def remap_custom(self, label: str, custom: dict[str, Any]) -> dict[str, Any]:
        keys = self.user_custom.get(label)
        if not keys:
            return custom
        return {k: (self.remap_user(v) if k in keys else v) for k, v in custom.items()}

    def remap_user(self, value: Any) -> Any:
        new = self.remap(self.user_label, value)
        return str(new) if isinstance(value, str) and new is not None else new

    # -- the run
    def run(self, slug: str, name: str | None, saved: list[str]) -> ImportResult:
        source = json.loads(read_member(self.archive, "workspace.json"))
        self.source_workspace_id = source.get("id")
        fields = {f.attname: f for f in Workspace._meta.concrete_fields if not f.primary_key}
        values = {k: fields[k].to_python(v) for k, v in source.items() if k in fields}
        workspace = Workspace.objects.create(**(values | {"slug": slug, "name": name or values.get("name") or slug}))
        self.workspace = workspace
        created, matched = self.load_users(workspace)
        self.user_custom = self.scan_user_custom()
        counts = {}
        for model in archived_models():
            label = model._meta.label_lower
            if label in (self.manifest.get("models") or {}):
                counts[label] = self.load_model(model, saved)
                self.log(f"{counts[label]:>10,} {label}")
        self.apply_deferred()
        entries = rebuild_search(workspace)
        from rapport.core.security import log_security_event

        log_security_event(
            "workspace.imported",
            workspace=workspace,
            source_slug=self.manifest["workspace"]["slug"],
            source_engine=self.manifest.get("engine"),
            rows=sum(counts.values()),
        )
        return ImportResult(workspace, counts, created, matched, self.left_out, self.maps, entries)

    def lines(self, member: str) -> Iterator[dict[str, Any]]:
        with self.archive.open(member) as handle:
            for raw in io.TextIOWrapper(handle, encoding="utf-8"):
                if raw.strip():
                    yield json.loads(raw)

    def load_users(self, workspace: Workspace) -> tuple[list[str], list[str]]:
        from allauth.account.models import EmailAddress

        created, matched = [], []
        for row in self.lines((self.manifest.get("users") or {}).get("file", "users.jsonl")):
            email = str(row.get("email") or "").strip()
            if not email:
                raise ArchiveError(f"users.jsonl: user {row.get('id')} has no e-mail address.")
            user = self.user_model.objects.filter(email__iexact=email).first()
            if user is None:
                user = self.user_model(last_workspace=workspace)
                for attr in USER_FIELDS:
                    if row.get(attr) is not None and hasattr(user, attr):
                        setattr(user, attr, self.user_model._meta.get_field(attr).to_python(row[attr]))
                user.email = user.email.lower()
                if not row.get("password"):
                    user.set_unusable_password()
                user.save()
                EmailAddress.objects.create(
                    user=user, email=user.email, verified=bool(row.get("email_verified")), primary=True
                )
                created.append(user.email)
            else:
                matched.append(user.email)
            self.users[int(row["id"])] = user.pk
        return created, matched

    def scan_user_custom(self) -> dict[str, set[str]]:
        label = "customfields.customfielddefinition"
        entry = (self.manifest.get("models") or {}).get(label)
        found: dict[str, set[str]] = {}
        if entry:
            for row in self.lines(entry["file"]):
                if row.get("field_type") == "user":
                    found.setdefault(str(row.get("record_type", "")).lower(), set()).add(row["key"])
        return found

    def load_model(self, model: type[models.Model], saved: list[str]) -> int:
        label = model._meta.label_lower
        mapping = self.maps.setdefault(label, {})
        batch: list[tuple[int, models.Model, list[tuple[str, models.Field, int]]]] = []
        total = 0
        for number, row in enumerate(self.lines(self.manifest["models"][label]["file"]), start=1):
            try:
                built = self.build(model, row, saved)
            except ArchiveError as error:
                raise ArchiveError(f"{label} row {number} (id {row.get('id')}): {error}") from None
            if built is not None:
                batch.append((row[model._meta.pk.attname], *built))
            if len(batch) >= CHUNK:
                total += self.insert(model, batch, mapping)
                batch = []
        return total + self.insert(model, batch, mapping)

    def insert(self, model, batch, mapping) -> int:
        if not batch:
            return 0
        label = model._meta.label_lower
        try:
            with transaction.atomic():
                model._base_manager.bulk_create([obj for _old, obj, _later in batch])
        except Exception as error:
            raise ArchiveError(
                f"{label}: the rows {batch[0][0]}…{batch[-1][0]} could not be inserted: {error}"
            ) from error
        new_pks = [obj.pk for _old, obj, _later in batch]
        if None in new_pks or new_pks != sorted(new_pks):  # ids are given in insert order: anything else is a mix-up
            raise ArchiveError(f"{label}: this database did not return the new primary keys in order.")
        for old, obj, later in batch:
            mapping[int(old)] = obj.pk
            self.deferred.extend((model, obj.pk, attname, fk, target) for attname, fk, target in later)
            if getattr(obj, "_moved_of", None) is not None:
                self.moved_later.append((model, obj.pk, obj.moved, obj._moved_of))
        return len(batch)

    def build(self, model: type[models.Model], row: dict[str, Any], saved: list[str]):
        label = model._meta.label_lower
        values: dict[str, Any] = {}
        later: list[tuple[str, models.Field, int]] = []
        for f in model._meta.concrete_fields:
            if f.primary_key or f.attname not in row:
                continue
            raw = row[f.attname]
            if f.is_relation and raw is not None:
                raw = self.relation(f, raw, later)
            elif isinstance(f, models.FileField) and raw:
                raw = self.restore_file(raw, saved)
            elif not isinstance(f, models.JSONField) and raw is not None:
                try:
                    raw = f.to_python(raw)
                except ValidationError as error:
                    raise ArchiveError(f"{f.attname}: {' '.join(error.messages)}") from None
            values[f.attname] = raw
        for ref in generic_refs(model):
            if not self.generic(model, ref, values):
                self.left_out[label] = self.left_out.get(label, 0) + 1
                return None
        self.fix_json(model, values)
        if label in FRESH_SECRETS:
            values[FRESH_SECRETS[label]] = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        moved_of = values.pop("_moved_of", None)
        obj = model(**values)
        obj._moved_of = moved_of
        return obj, later

    def relation(self, f: models.Field, raw: Any, later: list) -> Any:
        target = f.related_model
        if target is Workspace:
            return self.workspace.pk if int(raw) == self.source_workspace_id else None
        if target is ContentType:
            return self.content_type_id(int(raw))
        label = target._meta.label_lower
        if label == self.user_label:
            new = self.users.get(int(raw))
        elif label in self.maps and int(raw) in self.maps[label]:
            new = self.maps[label][int(raw)]
        elif label in (self.manifest.get("models") or {}) and target in self.archived:
            if not f.null:
                raise ArchiveError(f"{f.attname} points at {label} {raw}, which is not in the archive.")
            later.append((f.attname, f, int(raw)))  # a self or cyclic reference: filled in after the inserts
            return None
        else:
            new = None
        if new is None and not f.null:
            raise ArchiveError(f"{f.attname} points at {label} {raw}, which is not in the archive.")
        return new

    def generic(self, model: type[models.Model], ref: GenericRef, values: dict[str, Any]) -> bool:
        """Rewrite one generic reference in place; False when the row must be left out."""
        type_attname = ref.type_field if ref.by_label else f"{ref.type_field}_id"
        if ref.by_label:
            label = str(values.get(type_attname) or "").lower()
        else:  # the content type id was already rewritten: read it back by label
            label = next((lbl for lbl, pk in self.ct_ids.items() if pk == values.get(type_attname)), "")
        old = values.get(ref.id_field)
        if ref.many:
            values[ref.id_field] = [n for n in (self.remap(label, v) for v in old or []) if n is not None]
            return True
        new = self.remap(label, old)
        if new is None and old is not None:
            if model._meta.label_lower not in KEEP_DANGLING:
                return False
            new = 0
        values[ref.id_field] = new
        values["_generic_model"] = label
        return True

    def fix_json(self, model: type[models.Model], values: dict[str, Any]) -> None:
        label = model._meta.label_lower
        target_label = values.pop("_generic_model", "")
        target = model_or_none(target_label)
        if isinstance(values.get("custom"), dict):
            values["custom"] = self.remap_custom(label, values["custom"])
        if label == "core.recordhistory" and isinstance(values.get("changes"), dict):
            values["changes"] = {
                k: [self.remap_value(target, k, v) for v in pair] if isinstance(pair, list) else pair
                for k, pair in values["changes"].items()
            }
        elif label == "imports.importitem" and isinstance(values.get("before"), dict):
            before = dict(values["before"])
            if isinstance(before.get("fields"), dict):
                before["fields"] = {k: self.remap_value(target, k, v) for k, v in before["fields"].items()}
            if isinstance(before.get("custom"), dict):
                before["custom"] = self.remap_custom(target_label, before["custom"])
            values["before"] = before
        elif label == "duplicates.merge":
            values["survivor_before"] = {
                k: self.remap_value(target, k, v) for k, v in (values.get("survivor_before") or {}).items()
            }
            values["_moved_of"] = target_label  # rewritten after every insert: it names rows of any model
        elif label == "exports.exportrun" and values.get("ids"):
            from rapport.exports.services import MODELS

            kind = MODELS.get(values.get("record_type"))
            if kind is not None:
                ids = (self.remap(kind._meta.label_lower, v) for v in values["ids"])
                values["ids"] = [n for n in ids if n is not None]

    def remap_moved(self, entry: Any, merged_label: str) -> Any:
        """[model label, row id, field, old value] of a merge: the row and the old value get new ids."""
        if not (isinstance(entry, list) and len(entry) == 4):
            return entry
        row_label, row_id, name, old = entry
        row_model = model_or_none(row_label)
        new_old = old  # a plain value (is_primary…) stays
        if row_model is not None and any(f.attname == name and f.is_relation for f in row_model._meta.fields):
            new_old = self.remap_value(row_model, name, old)
        elif row_model is not None and name in {ref.id_field for ref in generic_refs(row_model)}:
            new_old = self.remap(merged_label, old)
        return [row_label, self.remap(row_label, row_id), name, new_old]

    def restore_file(self, name: str, saved: list[str]) -> str:
        if name not in (self.manifest.get("files") or {}):
            return ""  # the file was already gone from the source installation
        stored = default_storage.save(name, ContentFile(self.archive.read(f"files/{name}")))
        saved.append(stored)
        return stored

    def apply_deferred(self) -> None:
        grouped: dict[tuple[type[models.Model], str], list[models.Model]] = {}
        for model, pk, attname, fk, old in self.deferred:
            new = self.remap(fk.related_model._meta.label_lower, old)
            grouped.setdefault((model, attname), []).append(model(pk=pk, **{attname: new}))
        for (model, attname), objects in grouped.items():
            model._base_manager.bulk_update(objects, [attname], batch_size=CHUNK)
        for model, pk, moved, merged_label in self.moved_later:
            rewritten = [self.remap_moved(entry, merged_label) for entry in moved or []]
            model._base_manager.filter(pk=pk).update(moved=rewritten)
