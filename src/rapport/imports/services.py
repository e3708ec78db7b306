"""Imports: upload, map, dry run, run in chunks (crash-safe, resumable), undo.

How a run stays safe when a worker dies: rows are written in chunks of ``chunk_rows()`` rows
(setting ``IMPORT_CHUNK_ROWS``; 2,500 on the batched path of :mod:`rapport.imports.batch`, else
200); each chunk is one transaction holding the records, their
ledger rows (:class:`ImportItem`) and the run's new ``rows_done``. A worker killed mid-chunk rolls
the chunk back entirely (no half-written record is ever visible), and the retry resumes at
``rows_done``: rows of committed chunks are never written again, so the retry creates no duplicates.
Each row has its own savepoint (per-row path) or is left out of the bulk writes (batched path), so
a bad row is reported (row, column, reason) without losing its chunk.

A dry run performs the very same writes inside one transaction that is rolled back at the end, so
it reports exactly the errors the real run would meet (duplicates inside the file included).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from rapport.core.collector import bulk_collection
from rapport.core.permissions import Actor, can_change
from rapport.imports import ahead, batch
from rapport.imports import mapping as mapping_mod
from rapport.imports.models import DedupePolicy, ExternalId, ImportItem, ImportRun, ImportStatus, ItemAction
from rapport.imports.readers import ReadError, Table, read_table
from rapport.imports.targets import PLANNERS, Context, RowError, RowInvalid, _values, check_cells, snapshot

CHUNK = 200
DEDUPE_KEYS = {
    "contacts": [("email", "E-mail"), ("phone", "Phone"), ("external_id", "External id"), ("", "No dedupe")],
    "companies": [("domain", "Domain"), ("name", "Name"), ("external_id", "External id"), ("", "No dedupe")],
    "deals": [("external_id", "External id"), ("name", "Name and company"), ("", "No dedupe")],
    "products": [("sku", "SKU"), ("external_id", "External id"), ("", "No dedupe")],
    "activities": [("external_id", "External id"), ("", "No dedupe")],
    "orders": [("external_ref", "External reference"), ("", "No dedupe")],
}


_PROGRESS_FIELDS = ["status", "rows_done", "created_count", "updated_count", "skipped_count", "error_count", "errors"]


class _DryRunRollback(Exception):
    pass


def chunk_rows(run: ImportRun | None = None) -> int:
    """Rows per transaction: setting ``IMPORT_CHUNK_ROWS``, else 2,500 on the batched path and 200 per row."""
    default = batch.BATCH_CHUNK if run is not None and batch.enabled(run) else CHUNK
    return max(1, int(getattr(settings, "IMPORT_CHUNK_ROWS", default)))


def _process_rows(ctx: Context, run: ImportRun, table: Table, start: int, stop: int, dry: bool) -> tuple[dict, list]:
    """Rows ``start``…``stop - 1`` in the caller's transaction: (counts by outcome, report lines)."""
    if batch.enabled(run):
        return batch.process_chunk(ctx, run, table, start, stop, dry)
    counts = {"created": 0, "updated": 0, "skipped": 0, "error": 0}
    errors: list[dict] = []
    for index in range(start, stop):
        outcome, row_errors, _ = _process_row(ctx, run, table, index, dry=dry)
        counts[outcome] += 1
        errors.extend(e.as_dict() for e in row_errors)
    return counts, errors


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)


def _require(actor: Actor) -> None:
    if not actor.can("records.create"):
        raise PermissionDenied("You may not import records.")


def load_table(run: ImportRun) -> Table:
    return read_table(bytes(run.content), run.file_name)


def import_upload(*, actor: Actor, file_name: str, content: bytes, target: str | None = None) -> ImportRun:
    """Read the file (format, encoding, delimiter, header), suggest a mapping, store the run."""
    _require(actor)
    limit = max_bytes()
    if len(content) > limit:
        raise ValidationError(
            {"file": f"The file is {len(content) / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB."}
        )
    try:
        table = read_table(content, file_name)
    except ReadError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    if not table.rows:
        raise ValidationError({"file": "The file has a header but no data rows."})
    if target and target not in mapping_mod.TARGETS:
        raise ValidationError({"target": f"Choose one of: {', '.join(mapping_mod.TARGETS)}."})
    target = target or mapping_mod.guess_target(table.headers)
    with transaction.atomic():
        run = ImportRun(
            workspace_id=actor.workspace.pk,
            owner_id=actor.user.pk,
            target=target,
            file_name=file_name[:255],
            content=content,
            format=table.format,
            encoding=table.encoding,
            delimiter=table.delimiter,
            header_row=table.header_row,
            headers=table.headers,
            total_rows=len(table.rows),
            mapping=mapping_mod.suggest(target, table.headers),
            dedupe_key=DEDUPE_KEYS[target][0][0],
        )
        run.save()
    return run


def import_configure(
    *,
    actor: Actor,
    run: ImportRun,
    target: str | None = None,
    mapping: dict[str, str] | None = None,
    dedupe_key: str | None = None,
    dedupe_policy: str | None = None,
    tags: list[str] | None = None,
) -> ImportRun:
    _check_editable(actor, run)
    errors: dict[str, list[str]] = {}
    if target is not None:
        if target not in mapping_mod.TARGETS:
            errors["target"] = [f"Choose one of: {', '.join(mapping_mod.TARGETS)}."]
        elif target != run.target:
            run.target = target
            run.mapping = mapping_mod.suggest(target, run.headers)
            run.dedupe_key = DEDUPE_KEYS[target][0][0]
    if mapping is not None:
        allowed = {key for key, _ in mapping_mod.field_choices(run.target)}
        single = {f.key for f in mapping_mod.TARGETS[run.target][1] if not f.multiple} | {
            k for k in allowed if k.startswith("custom:")
        }
        unknown = sorted(set(mapping) - set(run.headers))
        if unknown:
            errors["mapping"] = [f"The file has no column {', '.join(map(repr, unknown))}."]
        clean: dict[str, str] = {}
        for header in run.headers:
            key = mapping.get(header, run.mapping.get(header, "")) or ""
            if key not in allowed:
                errors.setdefault("mapping", []).append(f"Column {header!r}: {key!r} is not a field of {run.target}.")
                continue
            if key and key in single and key in clean.values():
                errors.setdefault("mapping", []).append(
                    f"Column {header!r}: {key!r} is already mapped to another column."
                )
            clean[header] = key
        run.mapping = clean
    if dedupe_key is not None:
        if dedupe_key not in {k for k, _ in DEDUPE_KEYS[run.target]}:
            errors["dedupe_key"] = [f"Choose one of: {', '.join(k or 'none' for k, _ in DEDUPE_KEYS[run.target])}."]
        run.dedupe_key = dedupe_key
    if dedupe_policy is not None:
        if dedupe_policy not in DedupePolicy.values:
            errors["dedupe_policy"] = [f"Choose one of: {', '.join(DedupePolicy.values)}."]
        run.dedupe_policy = dedupe_policy
    if tags is not None:
        run.tags = [t.strip()[:50] for t in tags if t and t.strip()]
    if errors:
        raise ValidationError(errors)
    if not any(run.mapping.values()):
        raise ValidationError({"mapping": ["Map at least one column to a field."]})
    with transaction.atomic():
        run.status = ImportStatus.UPLOADED
        run.dry_run_errors = []
        run.save()
    return run


def _check_editable(actor: Actor, run: ImportRun) -> None:
    if not can_change(actor, run):
        raise PermissionDenied("You may not change this import.")
    if run.status not in (ImportStatus.UPLOADED, ImportStatus.VALIDATED):
        raise ValidationError({"status": f"The import is {run.get_status_display().lower()}; it can no longer change."})


def unmapped_columns(run: ImportRun) -> list[str]:
    table = load_table(run)
    return [
        header
        for i, header in enumerate(run.headers)
        if not run.mapping.get(header) and any(i < len(r) and r[i].strip() for r in table.rows)
    ]


def _context(actor: Actor, run: ImportRun) -> Context:
    return Context(actor=actor, target=run.target, dedupe_key=run.dedupe_key, policy=run.dedupe_policy, tags=run.tags)


def _process_row(ctx: Context, run: ImportRun, table: Table, index: int, dry: bool) -> tuple[str, list[RowError], list]:
    """Write one row on its own savepoint; returns (outcome, errors, ledger rows)."""
    model, plan_row, apply_row = PLANNERS[run.target]
    row_number = table.row_number(index)
    cells = table.rows[index]
    problems = check_cells(row_number, table.headers, cells, run.mapping)
    if problems:
        return "error", problems, []
    ledger: list[ImportItem] = []
    ctx.warnings = []
    ctx.side_created = []
    ctx.side_updated = []
    try:
        with transaction.atomic():
            plan = plan_row(ctx, row_number, _values(run.mapping, table.headers, cells))
            existing = find_existing(ctx, plan, model) if ctx.dedupe_key else None
            before = snapshot(existing) if existing is not None and ctx.policy == "update" else None
            outcome, record = apply_row(ctx, plan, existing)
            for side in ctx.side_created:
                ledger.append(_item(run, row_number, ItemAction.CREATED, side))
            if outcome == "created":
                ledger.append(_item(run, row_number, ItemAction.CREATED, record))
                if plan.get("external_id"):
                    ExternalId.objects.create(
                        workspace_id=run.workspace_id,
                        content_type=ContentType.objects.get_for_model(model),
                        object_id=record.pk,
                        value=plan["external_id"][:255],
                    )
            elif outcome == "updated":
                record.refresh_from_db(fields=["version"])
                ledger.append(_item(run, row_number, ItemAction.UPDATED, record, before))
            for side, side_before in ctx.side_updated:  # side effects on other records (a won deal's customers)
                ledger.append(_item(run, row_number, ItemAction.UPDATED, side, side_before))
            if not dry:
                ImportItem.objects.bulk_create(ledger)
    except RowInvalid as exc:
        _forget_rolled_back(ctx)
        return "error", exc.errors + ctx.warnings, []
    except ValidationError as exc:
        _forget_rolled_back(ctx)
        return "error", _validation_errors(row_number, exc, run) + ctx.warnings, []
    except PermissionDenied as exc:
        _forget_rolled_back(ctx)
        return "error", [RowError(row_number, "", str(exc))], []
    return outcome, list(ctx.warnings), ledger


def _forget_rolled_back(ctx: Context) -> None:
    """A company created for a refused row went with its savepoint: later rows must not link to it."""
    gone = {id(side) for side in ctx.side_created}
    for key, company in list(ctx.companies_by_name.items()):
        if id(company) in gone:
            del ctx.companies_by_name[key]
    for key, company in list(ctx.companies_by_domain.items()):
        if id(company) in gone:
            del ctx.companies_by_domain[key]
    ctx.side_created = []


def find_existing(ctx: Context, plan: dict[str, Any], model: type) -> Any:
    from rapport.imports.targets import find_existing as find

    return find(ctx, plan, model)


def _item(run: ImportRun, row: int, action: str, record: Any, before: dict | None = None) -> ImportItem:
    return ImportItem(
        workspace_id=run.workspace_id,
        run=run,
        row_number=row,
        action=action,
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        before=before or {},
        version_after=record.version,
    )


def _validation_errors(row: int, exc: ValidationError, run: ImportRun) -> list[RowError]:
    reverse = {}
    for header, key in run.mapping.items():
        reverse.setdefault(key, header)
        reverse.setdefault(key.removeprefix("custom:"), header)
    out = []
    if hasattr(exc, "error_dict"):
        for name, items in exc.error_dict.items():
            base = name.split(".")[0].rstrip("s") if "." in name else name
            column = reverse.get(name) or reverse.get(base) or reverse.get(name.split(".")[-1]) or name
            out.extend(RowError(row, column, m) for e in items for m in e.messages)
    else:
        out.extend(RowError(row, "", m) for m in exc.messages)
    return out


def import_dry_run(*, actor: Actor, run: ImportRun) -> dict[str, Any]:
    """Every row's outcome without keeping anything; store and return the report.

    The batched path plans the rows without writing (:func:`ahead.dry_run`); the per-row path runs
    every row for real inside a transaction that is rolled back.
    """
    _check_editable(actor, run)
    table = load_table(run)
    with bulk_collection():  # after reading the file, which it leaves out of garbage collection
        return _dry_run(actor, run, table)


def _dry_run(actor: Actor, run: ImportRun, table: Table) -> dict[str, Any]:
    ctx = _context(actor, run)
    counts = {"created": 0, "updated": 0, "skipped": 0, "error": 0}
    errors: list[dict] = []
    size = chunk_rows(run)
    if batch.enabled(run):
        counts, errors = ahead.dry_run(
            ctx, run, table, size, lambda start, stop: _process_rows(ctx, run, table, start, stop, True)
        )
        return _store_dry_run(run, counts, errors)
    try:
        with transaction.atomic():
            for start in range(0, len(table.rows), size):
                chunk_counts, chunk_errors = _process_rows(
                    ctx, run, table, start, min(start + size, len(table.rows)), True
                )
                for outcome, n in chunk_counts.items():
                    counts[outcome] += n
                errors.extend(chunk_errors)
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    return _store_dry_run(run, counts, errors)


def _store_dry_run(run: ImportRun, counts: dict[str, int], errors: list[dict]) -> dict[str, Any]:
    run.refresh_from_db()
    with transaction.atomic():
        run.dry_run_errors = errors
        run.status = ImportStatus.VALIDATED
        run.save()
    report = {**counts, "errors": errors, "unmapped_columns": unmapped_columns(run)}
    return report


def errors_csv(errors: list[dict]) -> str:
    """Per-row errors as CSV (row, column, reason); cells a spreadsheet would run are neutralised."""
    from rapport.exports.formats import neutralise

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "level", "reason"])
    for error in errors:
        level = error.get("level", "error")
        writer.writerow([error["row"], neutralise(error["column"]), level, neutralise(error["reason"])])
    return out.getvalue()


def import_start(*, actor: Actor, run: ImportRun, background: bool = True) -> ImportRun:
    """Queue the import (the task calls :func:`import_execute`)."""
    _check_editable(actor, run)
    if not any(run.mapping.values()):
        raise ValidationError({"mapping": ["Map at least one column to a field."]})
    from rapport.core.tasks import enqueue_for
    from rapport.imports.tasks import run_import

    with transaction.atomic():
        run.status = ImportStatus.QUEUED
        run.save()
        if background:
            result = enqueue_for(actor, run_import, run_id=run.pk)
            ImportRun.all_objects.filter(pk=run.pk).update(task_id=str(result.id))
            run.task_id = str(result.id)
    return run


def import_execute(*, actor: Actor, run_id: int, progress: Callable[[ImportRun], None] | None = None) -> ImportRun:
    """Run (or resume) an import in chunks; safe to call again after a crash or a retry."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status in (ImportStatus.DONE, ImportStatus.UNDONE, ImportStatus.UNDOING):
        return run
    table = load_table(run)
    with bulk_collection():  # after reading the file, which it leaves out of garbage collection
        return _execute(actor, run, table, progress)


def _execute(actor: Actor, run: ImportRun, table: Table, progress: Callable[[ImportRun], None] | None) -> ImportRun:
    ctx = _context(actor, run)
    if run.started_at is None or run.status != ImportStatus.RUNNING:
        ImportRun.all_objects.filter(pk=run.pk).update(
            status=ImportStatus.RUNNING, started_at=run.started_at or timezone.now()
        )
    run.refresh_from_db()
    total, chunk = len(table.rows), chunk_rows(run)

    def ordinary_chunk() -> None:
        nonlocal run
        run.refresh_from_db(fields=_PROGRESS_FIELDS)  # after a pipelined stretch: what its writer committed
        start, stop = run.rows_done, min(run.rows_done + chunk, total)
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            locked = ImportRun.all_objects.select_for_update().defer("content").get(pk=run.pk)
            if locked.rows_done != start:  # another attempt got here first
                run = locked
                return
            counts, errors = _process_rows(ctx, run, table, start, stop, dry=False)
            locked.record_chunk(stop, counts, errors)
        report_progress()

    def report_progress() -> None:
        run.refresh_from_db(fields=_PROGRESS_FIELDS)  # not the file, which can be megabytes
        if progress:
            progress(run)

    if ahead.pipelined(run):
        ahead.run_pipelined(
            ctx,
            run,
            table,
            chunk,
            ordinary=ordinary_chunk,
            commit_options=_commit_without_waiting_for_disk,
            progress=report_progress,
        )
        run.refresh_from_db(fields=_PROGRESS_FIELDS)
    while run.rows_done < total:  # the ordinary way, or what the pipelined run left (a refused chunk)
        ordinary_chunk()
    ImportRun.all_objects.filter(pk=run.pk).update(status=ImportStatus.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this chunk's COMMIT does not wait for its WAL to reach the disk.

    Safe for an import: a chunk's rows and the run's progress (``rows_done``) commit together,
    so if the machine itself crashes before the WAL writer flushes (a fraction of a second), both
    vanish together and the retry redoes that chunk; nothing is half-kept or doubled. The final
    "done" update commits normally, which flushes every chunk before it. Saves a disk flush of
    several megabytes per 1,000 rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")


def import_fail(run_id: int, message: str) -> None:
    ImportRun.all_objects.filter(pk=run_id).update(
        status=ImportStatus.FAILED, message=message[:2000], finished_at=timezone.now()
    )


def progress_of(run: ImportRun) -> dict[str, Any]:
    """Rows done / total, rows per second and seconds left (None until it can be estimated)."""
    now = run.finished_at or timezone.now()
    elapsed = (now - run.started_at).total_seconds() if run.started_at else 0.0
    rate = run.rows_done / elapsed if elapsed > 0 and run.rows_done else None
    left = (run.total_rows - run.rows_done) / rate if rate and run.status == ImportStatus.RUNNING else None
    percent = int(100 * run.rows_done / run.total_rows) if run.total_rows else 100
    return {
        "status": run.status,
        "rows_done": run.rows_done,
        "total_rows": run.total_rows,
        "percent": percent,
        "rate": round(rate, 1) if rate else None,
        "seconds_left": round(left) if left is not None else None,
        "created": run.created_count,
        "updated": run.updated_count,
        "skipped": run.skipped_count,
        "errors": run.error_count,
        "finished": run.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.UNDONE),
    }


def import_undo(*, actor: Actor, run: ImportRun) -> dict[str, Any]:
    """Remove what the import created and put back what it updated (unless changed since)."""
    from rapport.imports.undo import undo_items

    if not can_change(actor, run):
        raise PermissionDenied("You may not undo this import.")
    if run.status != ImportStatus.DONE:
        raise ValidationError({"status": "Only a finished import can be undone."})
    with transaction.atomic():
        result = undo_items(actor, run)
        run.status = ImportStatus.UNDONE
        run.message = f"Undone: {result['removed']} removed, {result['reverted']} reverted" + (
            f", {len(result['kept'])} kept because they changed after the import." if result["kept"] else "."
        )
        run.save()
    return result
