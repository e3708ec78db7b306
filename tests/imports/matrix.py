"""Permission-matrix rows for rapport.imports (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests.matrix import ALL_ROLES, WRITERS, Row, change_status, roles_status, view_status

CSV = b"First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n"
_JSON = {"content_type": "application/json", "anonymous": 401}


def _run(status: str = "uploaded"):
    def make(cast, owner, workspace):
        from rapport.core.permissions import actor_for
        from rapport.core.scoping import audit_context, workspace_scope
        from rapport.imports import services
        from rapport.imports.models import ImportRun

        admin = cast.owner if workspace == cast.workspace else cast.outsider
        with workspace_scope(workspace.pk), audit_context(actor=admin, source="web"):
            run = services.import_upload(actor=actor_for(admin, workspace), file_name="people.csv", content=CSV)
            ImportRun.all_objects.filter(pk=run.pk).update(owner=owner, status=status)
            run.refresh_from_db()
        return run

    return make


def _upload(record):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("people.csv", CSV, content_type="text/csv")}


def _pk(record):
    return {"pk": record.pk}


ROWS = [
    Row("imports:list", roles_status(WRITERS)),
    Row("imports:detail", view_status(), make=_run(), kwargs=_pk),
    Row(
        "imports:detail",
        change_status(ok=200),
        method="POST",
        make=_run(),
        kwargs=_pk,
        data={"action": "save", "map-0": "first_name"},
    ),
    Row("imports:progress", view_status(), make=_run("queued"), kwargs=_pk),
    Row("imports:errors_csv", view_status(), make=_run(), kwargs=_pk),
    Row("imports:undo", change_status(ok=302), method="POST", make=_run("done"), kwargs=_pk),
    Row("imports_api:import-list", roles_status(ALL_ROLES), anonymous=401),
    Row("imports_api:import-list", roles_status(WRITERS, ok=201), method="POST", data=_upload, anonymous=401),
    Row("imports_api:import-detail", view_status(), make=_run(), kwargs=_pk, anonymous=401),
    Row(
        "imports_api:import-detail",
        change_status(ok=200),
        method="PATCH",
        make=_run(),
        kwargs=_pk,
        data={"dedupe_policy": "update"},
        **_JSON,
    ),
    Row("imports_api:import-dry-run", change_status(ok=200), method="POST", make=_run(), kwargs=_pk, data={}, **_JSON),
    Row("imports_api:import-start", change_status(ok=202), method="POST", make=_run(), kwargs=_pk, data={}, **_JSON),
    Row("imports_api:import-progress", view_status(), make=_run(), kwargs=_pk, anonymous=401),
    Row(
        "imports_api:import-undo", change_status(ok=200), method="POST", make=_run("done"), kwargs=_pk, data={}, **_JSON
    ),
    Row("imports_api:import-errors-csv", view_status(), make=_run(), kwargs=_pk, anonymous=401),
]
