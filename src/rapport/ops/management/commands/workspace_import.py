"""``manage.py workspace_import``: see :mod:`rapport.ops.archive_import`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.ops.archive import ArchiveError
from rapport.ops.archive_import import import_workspace


class Command(BaseCommand):
    help = "Import a workspace archive under its own slug or --slug; refuses a slug that exists."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="a file written by manage.py workspace_export")
        parser.add_argument("--slug", help="slug of the new workspace (default: the one in the archive)")
        parser.add_argument("--name", help="name of the new workspace (default: the one in the archive)")

    def handle(self, *args, path: Path, slug: str | None, name: str | None, **options) -> None:
        log = self.stdout.write if options["verbosity"] > 1 else (lambda _m: None)
        try:
            result = import_workspace(path, slug=slug, name=name, log=log)
        except ArchiveError as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        rows = sum(result.counts.values())
        self.stdout.write(self.style.SUCCESS(f"Imported workspace “{result.workspace.slug}” from {path}"))
        self.stdout.write(f"  {rows:,} rows, {result.search_entries:,} search entries rebuilt")
        self.stdout.write(
            f"  people: {len(result.users_matched)} matched by e-mail, {len(result.users_created)} created"
        )
        for label, count in sorted(result.left_out.items()):
            self.stdout.write(f"  left out {count} {label} row(s) pointing at records that no longer exist")
