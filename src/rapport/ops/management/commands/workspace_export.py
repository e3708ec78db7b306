"""``manage.py workspace_export``: see :mod:`rapport.ops.archive_export`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.ops.archive import ArchiveError
from rapport.ops.archive_export import export_workspace


class Command(BaseCommand):
    help = "Export one workspace to an archive file that workspace_import reads (backup, move, SQLite to PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the workspace's slug")
        parser.add_argument("path", type=Path, help="archive file to write, e.g. acme.zip")

    def handle(self, *args, slug: str, path: Path, **options) -> None:
        log = self.stdout.write if options["verbosity"] > 1 else (lambda _m: None)
        try:
            manifest = export_workspace(slug, path, log=log)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        rows = sum(entry["count"] for entry in manifest["models"].values())
        tables = sum(1 for entry in manifest["models"].values() if entry["count"])
        self.stdout.write(self.style.SUCCESS(f"Exported workspace “{slug}” to {path}"))
        self.stdout.write(
            f"  {rows:,} rows in {tables} tables, {manifest['users']['count']} people, {len(manifest['files'])} files"
        )
