"""Permission-matrix rows for rapport.exports (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests.matrix import ALL_ROLES, Row, roles_status

EXPORTERS = frozenset({"owner", "admin", "manager"})
_JSON = {"content_type": "application/json", "anonymous": 401}


def _export(cast, owner, workspace):
    from rapport.core.permissions import actor_for
    from rapport.core.scoping import audit_context, workspace_scope
    from rapport.exports import services
    from rapport.exports.models import ExportRun

    admin = cast.owner if workspace == cast.workspace else cast.outsider
    with workspace_scope(workspace.pk), audit_context(actor=admin, source="web"):
        run = services.export_request(actor=actor_for(admin, workspace), record_type="contact")
        ExportRun.all_objects.filter(pk=run.pk).update(owner=owner)
        run.refresh_from_db()
    return run


def _own_or_admin(ok: int = 200):
    def expect(role, relation):
        if relation == "own":
            return ok
        if role in ("owner", "admin") and relation in ("team", "other"):
            return ok
        return 404

    return expect


def _pk(record):
    return {"pk": record.pk}


ROWS = [
    Row("exports:list", roles_status(EXPORTERS)),
    Row("exports:detail", _own_or_admin(), make=_export, kwargs=_pk),
    Row("exports:download", _own_or_admin(), make=_export, kwargs=_pk),
    Row("exports_api:export-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "exports_api:export-list",
        roles_status(EXPORTERS, ok=201),
        method="POST",
        data={"record_type": "contact"},
        **_JSON,
    ),
    Row("exports_api:export-detail", _own_or_admin(), make=_export, kwargs=_pk, anonymous=401),
    Row("exports_api:export-download", _own_or_admin(), make=_export, kwargs=_pk, anonymous=401),
]
