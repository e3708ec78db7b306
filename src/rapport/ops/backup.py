"""Backups and restores of the whole database (``manage.py backup`` / ``manage.py restore``).

* SQLite: SQLite's online backup API copies a consistent snapshot page by page while the app
  keeps running (readers and the WAL included: what is committed is in the copy, what is not is
  not). A restore copies the backup back into the live file with the same API, under SQLite's
  own locks.
* PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot from one transaction) and
  ``pg_restore --clean --if-exists --single-transaction`` (all or nothing). The client binaries
  must be of the server's major version or newer.

Every backup gets a manifest beside it (``<file>.json``: engine, time, applied migrations and the
row count of every table); ``restore`` compares the restored counts with it and fails loudly
when they differ.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    pass


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def tables() -> list[str]:
    """Every table of an installed model (what a round trip must keep), sorted."""
    names = {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed}
    existing = set(connection.introspection.table_names())
    return sorted(names & existing)


def row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in tables():
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from models
            counts[table] = cursor.fetchone()[0]
    return counts


def fingerprint() -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of every row in key order) per table: equal fingerprints, equal content."""
    result = {}
    with connection.cursor() as cursor:
        for table in tables():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")  # noqa: S608 - table names from models
            digest, count = hashlib.sha256(), 0
            for row in cursor.fetchall():
                digest.update(repr(tuple(_plain(v) for v in row)).encode())
                count += 1
            result[table] = (count, digest.hexdigest())
    return result


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _pg_args() -> tuple[list[str], dict[str, str]]:
    settings = connection.settings_dict
    args = ["--host", settings.get("HOST") or "127.0.0.1", "--port", str(settings.get("PORT") or 5432)]
    if settings.get("USER"):
        args += ["--username", settings["USER"]]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools (e.g. postgresql-client).")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")


def backup(path: Path) -> dict[str, Any]:
    """Write a backup of the default database to ``path`` (and its manifest); returns the manifest."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    manifest = {
        "engine": connection.vendor,
        "created_at": datetime.now(UTC).isoformat(),
        "migrations": _migrations(),
        "row_counts": row_counts(),
    }
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        if not name or str(name) == ":memory:" or str(name).startswith("file:"):
            raise BackupError("This SQLite database lives in memory; there is no file to back up.")
        source = sqlite3.connect(name, timeout=30)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError("The copy failed SQLite's quick_check.")
        finally:
            target.close()
            source.close()
    elif connection.vendor == "postgresql":
        args, env = _pg_args()
        command = [_binary("pg_dump"), *args, "--format=custom", "--no-owner", "--no-privileges"]
        _run([*command, "--file", str(partial), connection.settings_dict["NAME"]], env)
    else:
        raise BackupError(f"No backup method for the {connection.vendor} engine.")
    os.replace(partial, path)
    manifest_path(path).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format file.")


def restore(path: Path) -> dict[str, Any]:
    """Replace the default database's content with the backup at ``path``; returns the comparison.

    Stop the app servers and task workers first: the restore replaces every table.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    kind = _kind(path)
    if kind != connection.vendor:
        raise BackupError(f"{path} is a {kind} backup but this database is {connection.vendor}.")
    if kind == "sqlite":
        check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if not check.execute("SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'").fetchone():
                raise BackupError(f"{path} is a SQLite file but not a Rapport database.")
        finally:
            check.close()
        name = connection.settings_dict["NAME"]
        connections.close_all()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(name, timeout=60)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        args, env = _pg_args()
        connections.close_all()
        command = [_binary("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--no-privileges"]
        command += ["--single-transaction", "--exit-on-error", "--dbname", connection.settings_dict["NAME"], str(path)]
        _run(command, env)
    return compare(path)


def compare(path: Path) -> dict[str, Any]:
    """The restored row counts against the backup's manifest (when there is one)."""
    counts = row_counts()
    manifest_file = manifest_path(Path(path))
    if not manifest_file.exists():
        return {"counts": counts, "differences": None}
    expected = json.loads(manifest_file.read_text())["row_counts"]
    differences = {
        table: (expected.get(table), counts.get(table))
        for table in sorted(set(expected) | set(counts))
        if expected.get(table) != counts.get(table) and table in expected
    }
    return {"counts": counts, "differences": differences}


def default_path(directory: Path | None = None) -> Path:
    """``var/backups/rapport-<time>.<sqlite3|dump>`` unless a directory is given."""
    from django.conf import settings

    directory = Path(directory or Path(getattr(settings, "VAR_DIR", tempfile.gettempdir())) / "backups")
    suffix = "sqlite3" if connection.vendor == "sqlite" else "dump"
    return directory / f"rapport-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{suffix}"
