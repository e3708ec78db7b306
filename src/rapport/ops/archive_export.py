"""``manage.py workspace_export <slug> <file>``: one workspace (every record, person, file and History
row) in a zip archive that ``workspace_import`` reads; the format is described in rapport.ops.archive
and docs/operations.md. The rows are read in one consistent snapshot while the app keeps running.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from rapport.core.models import Workspace
from rapport.core.scoping import unscoped
from rapport.ops.archive import (
    CHUNK,
    EXCLUDED,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    USER_FIELDS,
    ArchiveError,
    applied_migrations,
    archived_models,
    json_value,
    rapport_version,
    sha256,
    workspace_fk,
)


def export_workspace(slug: str, path: Path | str, *, log: Callable[[str], None] = lambda _m: None) -> dict:
    """Write the archive of the workspace ``slug`` to ``path``; returns the manifest."""
    path = Path(path)
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise ArchiveError(f"There is no workspace with the slug “{slug}”.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with unscoped(), _snapshot():
            manifest = _write_archive(workspace, partial, log)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave half an archive behind
        raise
    partial.replace(path)
    from rapport.core.security import log_security_event

    counts = {k: v["count"] for k, v in manifest["models"].items()}
    log_security_event("workspace.exported", workspace=workspace, file=path.name, rows=sum(counts.values()))
    return manifest


class _snapshot:
    """One consistent read of every table (PostgreSQL: a repeatable-read transaction)."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        outermost = not connection.in_atomic_block
        self.atomic.__enter__()
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


def _write_archive(workspace: Workspace, target: Path, log: Callable[[str], None]) -> dict:
    user_model = get_user_model()
    user_ids: set[int] = set()
    content_types: set[int] = set()
    files: dict[str, str] = {}
    entries: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ws_row = {f.attname: json_value(f.value_from_object(workspace)) for f in Workspace._meta.concrete_fields}
        archive.writestr("workspace.json", json.dumps(ws_row, indent=2))
        for model in archived_models():
            label = model._meta.label_lower
            concrete = model._meta.concrete_fields
            names = [f.attname for f in concrete]
            user_fields = [f.attname for f in concrete if f.is_relation and f.related_model is user_model]
            ct_fields = [f.attname for f in concrete if f.is_relation and f.related_model is ContentType]
            file_fields = [f.attname for f in concrete if isinstance(f, models.FileField)]
            rows = model._base_manager.filter(**{workspace_fk(model).name: workspace}).order_by("pk")
            digest, count, pending = hashlib.sha256(), 0, set()
            member = f"data/{label}.jsonl"
            with archive.open(_member_info(member), "w", force_zip64=True) as handle:
                for row in rows.values_list(*names).iterator(chunk_size=CHUNK):
                    values = dict(zip(names, row, strict=True))
                    user_ids.update(values[n] for n in user_fields if values[n] is not None)
                    content_types.update(values[n] for n in ct_fields if values[n] is not None)
                    pending.update(values[n] for n in file_fields if values[n])
                    line = (json.dumps({k: json_value(v) for k, v in values.items()}) + "\n").encode()
                    handle.write(line)
                    digest.update(line)
                    count += 1
            for name in sorted(pending - set(files)):
                if default_storage.exists(name):
                    with default_storage.open(name, "rb") as stored:
                        data = stored.read()
                    archive.writestr(f"files/{name}", data)
                    files[name] = sha256(data)
            entries[label] = {"file": member, "count": count, "sha256": digest.hexdigest()}
            log(f"{count:>10,} {label}")
        users = _write_users(archive, user_ids)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "rapport_version": rapport_version(),
            "created_at": timezone.now().isoformat(),
            "engine": connection.vendor,
            "migrations": applied_migrations(),
            "workspace": {"slug": workspace.slug, "name": workspace.name},
            "content_types": {
                str(ct.pk): f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.filter(pk__in=content_types)
            },
            "users": users,
            "models": entries,
            "files": files,
            "excluded": EXCLUDED,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return manifest


def _member_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=timezone.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _write_users(archive: zipfile.ZipFile, user_ids: set[int]) -> dict[str, Any]:
    from allauth.account.models import EmailAddress

    user_model = get_user_model()
    verified = set(EmailAddress.objects.filter(user_id__in=user_ids, verified=True).values_list("user_id", flat=True))
    lines = [
        json.dumps(
            {
                "id": u.pk,
                **{f: json_value(getattr(u, f, None)) for f in USER_FIELDS},
                "email_verified": u.pk in verified,
            }
        )
        + "\n"
        for u in user_model.objects.filter(pk__in=user_ids).order_by("pk")
    ]
    data = "".join(lines).encode()
    archive.writestr("users.jsonl", data)
    return {"file": "users.jsonl", "count": len(lines), "sha256": sha256(data)}
