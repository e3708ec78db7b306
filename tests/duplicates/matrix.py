"""Permission-matrix rows for rapport.duplicates (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests.matrix import SEES, WRITERS, Row, roles_status

_JSON = {"content_type": "application/json", "anonymous": 401}


def _pair(cast, owner, workspace):
    """Two look-alike contacts owned by ``owner``; the record is the first, ``record.other`` the second."""
    from tests.contacts.factories import make_contact

    admin = cast.owner if workspace == cast.workspace else cast.outsider
    first = make_contact(owner, workspace, actor_user=admin, first_name="Twin", last_name="Record")
    first.other = make_contact(owner, workspace, actor_user=admin, first_name="Twin", last_name="Record")
    return first


def _merge(cast, owner, workspace):
    from rapport.core.permissions import actor_for
    from rapport.core.scoping import audit_context, workspace_scope
    from rapport.duplicates import services
    from rapport.duplicates.models import Merge

    pair = _pair(cast, owner, workspace)
    admin = cast.owner if workspace == cast.workspace else cast.outsider
    with workspace_scope(workspace.pk), audit_context(actor=admin, source="web"):
        merge = services.merge(
            actor=actor_for(admin, workspace), record_type="contact", ids=[pair.pk, pair.other.pk], survivor_id=pair.pk
        )
        Merge.all_objects.filter(pk=merge.pk).update(owner=owner)
        merge.refresh_from_db()
    return merge


def _writer_first(ok: int, unseen: int = 404):
    """Read-only members are refused before any lookup (403); others get ``ok`` or ``unseen``."""

    def expect(role, relation):
        if role == "read_only":
            return 403
        return ok if relation in SEES[role] else unseen

    return expect


def _undo(ok: int, read_only_first: bool):
    """Undoing a merge restores from the recycle bin: owners and admins only."""

    def expect(role, relation):
        if read_only_first and role == "read_only":
            return 403
        if relation not in SEES[role]:
            return 404
        return ok if role in ("owner", "admin") else 403

    return expect


def _merge_data(record):
    return {"type": "contact", "ids": [record.pk, record.other.pk], "survivor": record.pk}


def _api_merge_data(record):
    return {"record_type": "contact", "ids": [record.pk, record.other.pk], "survivor": record.pk}


ROWS = [
    Row("duplicates:list", roles_status(WRITERS)),
    Row("duplicates:check", roles_status(frozenset(WRITERS) | {"read_only"})),
    Row("duplicates:merge", _writer_first(302), method="POST", make=_pair, data=_merge_data),
    Row("duplicates:undo", _undo(302, False), method="POST", make=_merge, kwargs=lambda r: {"pk": r.pk}),
    Row("duplicates_api:duplicate-list", roles_status(frozenset(WRITERS) | {"read_only"}), anonymous=401),
    Row(
        "duplicates_api:duplicate-merge",
        _writer_first(201, 400),
        method="POST",
        make=_pair,
        data=_api_merge_data,
        **_JSON,
    ),
    Row(
        "duplicates_api:duplicate-undo",
        _undo(200, True),
        method="POST",
        make=_merge,
        kwargs=lambda r: {"pk": r.pk},
        data={},
        **_JSON,
    ),
]
