"""Back up the database: SQLite online backup API or pg_dump; see docs/operations.md."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.ops.backup import BackupError, backup, default_path, manifest_path


class Command(BaseCommand):
    help = "Write a consistent backup of the database (while it runs) plus a manifest of row counts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="backup file (default var/backups/rapport-<time>.*)")

    def handle(self, *args, path: Path | None, **options) -> None:
        target = path or default_path()
        try:
            manifest = backup(target)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["row_counts"].values())
        self.stdout.write(self.style.SUCCESS(f"Backed up {manifest['engine']} to {target}"))
        self.stdout.write(f"  {len(manifest['row_counts'])} tables, {rows:,} rows; manifest {manifest_path(target)}")
