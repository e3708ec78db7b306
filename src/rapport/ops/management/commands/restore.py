"""Restore a backup made by ``manage.py backup`` (stop app servers and workers first)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "Replace the database's content with a backup, then check the row counts against its manifest."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="a file written by manage.py backup")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, path: Path, yes: bool, **options) -> None:
        if not yes and options.get("interactive", True):
            answer = input(f"Replace everything in this database with {path}? Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            result = restore(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(result["counts"].values())
        if result["differences"]:
            lines = ", ".join(f"{t}: {a} in the backup, {b} now" for t, (a, b) in result["differences"].items())
            raise CommandError(f"Restored, but the row counts differ from the backup's manifest: {lines}")
        note = "row counts match the manifest" if result["differences"] == {} else "no manifest to compare with"
        self.stdout.write(
            self.style.SUCCESS(f"Restored {path}: {rows:,} rows in {len(result['counts'])} tables ({note}).")
        )
