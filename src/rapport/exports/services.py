"""Exports of contact and company lists (their filters and columns) to CSV, Excel or vCard.

Who may export, and what: the ``records.export`` capability (owners, admins, managers), and only
the records the person sees (``visible()``), filtered as on the list page. Every export is written
to the security log when it is requested. Small exports are built at once; larger ones
(over ``EXPORT_INLINE_ROWS``) in a background task, with a download link when ready. The file is
written in chunks (keyset over ids), so memory stays flat however many rows.

Rows are built from fetched values, not model instances (:mod:`rapport.exports.rows`): that is what
makes a million-row export take seconds rather than minutes. Columns that module does not know fall
back to formatting model instances with the list columns' own display functions.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import models, transaction
from django.utils import timezone

from rapport.contacts import bulk, selectors
from rapport.contacts.listing import FilterError
from rapport.contacts.models import Company, Contact
from rapport.core.permissions import Actor, visible
from rapport.core.security import SecurityKind, log_security_event
from rapport.exports import formats
from rapport.exports import rows as fast
from rapport.exports.models import ExportFormat, ExportRun, ExportStatus

MODELS = {"contact": Contact, "company": Company}
CHUNK = 2000  # rows per chunk on the model-instance path (each row carries a model instance)
VALUES_CHUNK = 10_000  # rows per chunk on the values path (tuples: cheap; fewer round trips)


def inline_rows() -> int:
    return getattr(settings, "EXPORT_INLINE_ROWS", 2000)


def _queryset(actor: Actor, run: ExportRun) -> tuple[Any, list[str], models.QuerySet]:
    spec = selectors.list_spec(run.record_type, actor)
    queryset = bulk.export_queryset(actor, MODELS[run.record_type], run.ids or None)
    query = selectors.ListQuery.parse(spec, filters=run.filters, logic=run.logic)
    columns = [c for c in run.columns if c in spec.columns] or list(spec.default_columns)
    return spec, columns, selectors.filtered(queryset, actor, query)


def export_request(
    *,
    actor: Actor,
    record_type: str,
    format: str = ExportFormat.CSV,
    filters: list[str] | None = None,
    logic: str = "and",
    columns: list[str] | None = None,
    ids: list[Any] | None = None,
    request=None,
) -> ExportRun:
    """Check, log and create an export; build it now when small, else queue it."""
    if not actor.can("records.export"):
        raise PermissionDenied("Your role may not export records.")
    if record_type not in MODELS:
        raise ValidationError({"record_type": f"Choose one of: {', '.join(MODELS)}."})
    if format not in ExportFormat.values:
        raise ValidationError({"format": f"Choose one of: {', '.join(ExportFormat.values)}."})
    if format == ExportFormat.VCF and record_type != "contact":
        raise ValidationError({"format": "vCard exports are for contacts only."})
    run = ExportRun(
        workspace_id=actor.workspace.pk,
        owner_id=actor.user.pk,
        record_type=record_type,
        format=format,
        filters=list(filters or []),
        logic=logic or "and",
        columns=list(columns or []),
        ids=[int(i) for i in ids or [] if str(i).isdigit()],
    )
    try:
        _, chosen, queryset = _queryset(actor, run)
    except FilterError as exc:
        raise ValidationError({"filters": f"{exc.field}: {exc.detail}"}) from exc
    run.columns = chosen
    big = queryset[: inline_rows() + 1].count() > inline_rows()
    from rapport.core.tasks import enqueue_for
    from rapport.exports.tasks import build_export

    with transaction.atomic():
        run.save()
        log_security_event(
            SecurityKind.EXPORT,
            request=request,
            user=actor.user,
            workspace=actor.workspace,
            record_type=MODELS[record_type]._meta.label_lower,
            format=format,
            filters=run.filters,
            selected=len(run.ids),
            columns=run.columns,
            export_id=run.pk,
        )
        if big:
            result = enqueue_for(actor, build_export, export_id=run.pk)
            ExportRun.all_objects.filter(pk=run.pk).update(task_id=str(result.id))
    if not big:
        export_build(actor=actor, export_id=run.pk)
        run.refresh_from_db()
    return run


def _cells(spec, columns: list[str], record) -> list[Any]:
    """One record's row through the list columns' own display functions (the fallback path)."""
    return [record.pk, *[fast.cell(bulk._cell_text(spec.columns[c], record)) for c in columns]]


def _records(queryset: models.QuerySet) -> Iterator[list[Any]]:
    """Model instances in keyset chunks of ``CHUNK`` (the fallback path)."""
    from rapport.tags.models import TaggedItem

    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last)
            .order_by("pk")
            .prefetch_related(
                models.Prefetch(
                    "tagged_items", queryset=TaggedItem.objects.select_related("tag"), to_attr="prefetched_tags"
                )
            )[:CHUNK]
        )
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def row_chunks(actor: Actor, run: ExportRun, spec, columns: list[str], queryset: models.QuerySet) -> Iterator[list]:
    """The export's rows, ``[id, cell, …]`` with every cell final text (neutralised), chunk by chunk.

    From fetched values when :mod:`rapport.exports.rows` knows every column; else from model
    instances through the list columns' display functions (the same text, only slower).
    """
    plan = fast.plan_for(run.record_type, spec, columns, MODELS[run.record_type], actor.workspace.default_region)
    if plan is None:
        return ([_cells(spec, columns, r) for r in chunk] for chunk in _records(queryset))
    return fast.rows(queryset, plan, VALUES_CHUNK)


def _write_csv(stream: io.TextIOBase, header: list[str], chunks: Iterator[list]) -> int:
    """The CSV :func:`formats.write_csv` writes (BOM, header, excel dialect), one write per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([formats.neutralise(h) for h in header])
    count = 0
    for chunk in chunks:
        writer.writerows(chunk)
        count += len(chunk)
        stream.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    stream.write(buffer.getvalue())
    return count


def export_build(*, actor: Actor, export_id: int) -> ExportRun:
    """Write the file; safe to run again (it rewrites the same export)."""
    run = ExportRun.objects.get(pk=export_id)
    if run.status == ExportStatus.DONE:
        return run
    ExportRun.all_objects.filter(pk=run.pk).update(status=ExportStatus.RUNNING)
    spec, columns, queryset = _queryset(actor, run)
    header = ["id", *[spec.columns[c].label for c in columns]]
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name = f"{run.record_type}s-{stamp}.{run.format}"
    count = 0
    with tempfile.TemporaryFile() as tmp:
        if run.format == ExportFormat.XLSX:
            chunks = row_chunks(actor, run, spec, columns, queryset)
            rows = (row for chunk in chunks for row in chunk)
            count = formats.write_xlsx(tmp, header, rows, title=f"{run.record_type}s")
        elif run.format == ExportFormat.VCF:
            text = io.TextIOWrapper(tmp, encoding="utf-8", newline="")
            for card in fast.vcard_records(queryset, VALUES_CHUNK):
                text.write(formats.vcard(card))
                count += 1
            text.flush()
            text.detach()
        else:
            text = io.TextIOWrapper(tmp, encoding="utf-8", newline="")
            count = _write_csv(text, header, row_chunks(actor, run, spec, columns, queryset))
            text.flush()
            text.detach()
        tmp.seek(0)
        with transaction.atomic():
            run.file.save(f"{run.workspace_id}/{run.pk}-{name}", File(tmp), save=False)
            ExportRun.all_objects.filter(pk=run.pk).update(
                file=run.file.name,
                file_name=name,
                row_count=count,
                status=ExportStatus.DONE,
                finished_at=timezone.now(),
            )
    run.refresh_from_db()
    return run


def export_fail(export_id: int, message: str) -> None:
    ExportRun.all_objects.filter(pk=export_id).update(status=ExportStatus.FAILED, message=message[:2000])


def visible_exports(actor: Actor) -> models.QuerySet:
    """The person's own exports (every export of the workspace for owners and admins)."""
    queryset = visible(ExportRun.objects.all(), actor)
    return queryset if actor.is_admin else queryset.filter(owner_id=actor.user.pk)
