"""Import a file from the command line, with a progress bar on the terminal.

    python manage.py rapport_import contacts.csv --workspace acme --user ada@example.com \
        [--target contacts] [--dedupe email] [--policy skip|update|create] [--tag imported] [--dry-run]

The same path as the wizard: detection, suggested mapping, per-row validation, dedupe, chunks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rapport.core.models import Workspace
from rapport.core.permissions import actor_for
from rapport.core.scoping import audit_context, workspace_scope
from rapport.imports import services
from rapport.imports.mapping import TARGETS


def bar(done: int, total: int, started: float, width: int = 30) -> str:
    share = done / total if total else 1.0
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = done / elapsed
    left = (total - done) / rate if rate else 0
    filled = int(width * share)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows  {rate:,.0f} rows/s  {left:,.0f} s left"


class Command(BaseCommand):
    help = "Import contacts or companies from a CSV, Excel, ODS or vCard file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--workspace", required=True, help="Workspace slug or id.")
        parser.add_argument("--user", required=True, help="E-mail of the member the import acts as.")
        parser.add_argument("--target", choices=list(TARGETS))
        parser.add_argument("--dedupe", help="Dedupe key (see docs/imports.md; 'none' for no dedupe).")
        parser.add_argument("--policy", choices=["skip", "update", "create"])
        parser.add_argument("--tag", action="append", default=[])
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        lookup = {"pk": options["workspace"]} if options["workspace"].isdigit() else {"slug": options["workspace"]}
        workspace = Workspace.objects.filter(**lookup).first()
        user = get_user_model().objects.filter(email__iexact=options["user"]).first()
        if workspace is None or user is None:
            raise CommandError("Unknown workspace or user.")
        actor = actor_for(user, workspace)
        if actor is None:
            raise CommandError(f"{user.email} is not a member of {workspace}.")
        with workspace_scope(workspace.pk), audit_context(actor=user, source="import"):
            try:
                run = services.import_upload(
                    actor=actor, file_name=path.name, content=path.read_bytes(), target=options["target"]
                )
                dedupe = options["dedupe"]
                services.import_configure(
                    actor=actor,
                    run=run,
                    dedupe_key=("" if dedupe == "none" else dedupe) if dedupe is not None else None,
                    dedupe_policy=options["policy"],
                    tags=options["tag"] or None,
                )
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
            self.stdout.write(
                f"{run.file_name}: {run.format}, {run.encoding or 'binary'}, {run.total_rows:,} rows → {run.target}"
            )
            mapped = {h: k for h, k in run.mapping.items() if k}
            self.stdout.write("Mapping: " + ", ".join(f"{h} → {k}" for h, k in mapped.items()))
            if options["dry_run"]:
                report = services.import_dry_run(actor=actor, run=run)
                for error in report["errors"][:50]:
                    self.stdout.write(f"  row {error['row']} {error['column']}: {error['reason']}")
                self.stdout.write(
                    f"Dry run: {report['created']} to create, {report['updated']} to update, "
                    f"{report['skipped']} to skip, {report['error']} with errors."
                )
                return
            started = time.monotonic()
            services.import_start(actor=actor, run=run, background=False)

            def show(current) -> None:
                sys.stdout.write("\r" + bar(current.rows_done, current.total_rows, started))
                sys.stdout.flush()

            run = services.import_execute(actor=actor, run_id=run.pk, progress=show)
            sys.stdout.write("\n")
            self.stdout.write(
                f"Import {run.pk}: {run.created_count} created, {run.updated_count} updated, "
                f"{run.skipped_count} skipped, {run.error_count} with errors."
            )
            for error in run.errors[:50]:
                self.stdout.write(f"  row {error['row']} {error['column']}: {error['reason']}")
