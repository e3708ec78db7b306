"""Runs every row of the permission matrix (see tests/matrix/__init__.py)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from rapport.core import services
from rapport.core.permissions import actor_for
from rapport.core.scoping import audit_context, workspace_scope
from tests.matrix import ROLES, Row
from tests.matrix.exempt import EXEMPT_NAMES, EXEMPT_PREFIXES

TESTS_DIR = Path(__file__).parent


def _all_rows() -> list[Row]:
    rows: list[Row] = []
    for module_info in pkgutil.iter_modules([str(TESTS_DIR)]):
        if (TESTS_DIR / module_info.name / "matrix.py").exists():
            rows.extend(importlib.import_module(f"tests.{module_info.name}.matrix").ROWS)
    return rows


def _url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _url_names(pattern, namespace)
        elif isinstance(pattern, URLPattern):
            names.add(f"{prefix}{pattern.name or pattern.lookup_str}")
    return names


ROWS = _all_rows()


def _is_exempt(name: str) -> bool:
    return name in EXEMPT_NAMES or any(name.startswith(p) for p in EXEMPT_PREFIXES)


def test_every_url_has_a_matrix_row():
    covered = {row.url_name for row in ROWS}
    missing = sorted(name for name in _url_names() if name not in covered and not _is_exempt(name))
    assert not missing, f"These URLs have no row in any tests/<app>/matrix.py: {missing}"


def _owner_for(cast, role_user, relation):
    return {
        "own": (role_user, cast.workspace),
        "team": (cast.sales_peer, cast.workspace),
        "other": (cast.sales_west, cast.workspace),
        "foreign": (cast.outsider, cast.other_workspace),
        "deleted": (role_user, cast.workspace),
    }[relation]


def _request(client, row: Row, url: str, record):
    data = row.data(record) if callable(row.data) else (row.data or {})
    kwargs = {"headers": row.headers} if row.headers else {}
    if row.content_type:
        kwargs["content_type"] = row.content_type
    return getattr(client, row.method.lower())(url, data, **kwargs)


def _cases():
    for row in ROWS:
        relations = row.relations if row.make else (None,)
        for relation in relations:
            yield pytest.param(row, relation, id=f"{row.method} {row.url_name} {relation or ''}".strip())


@pytest.mark.parametrize(("row", "relation"), list(_cases()))
def test_matrix(cast, client, row: Row, relation):
    for role in ("anonymous", *ROLES):
        user = None if role == "anonymous" else cast.members[role]
        record = None
        if row.make:
            owner, workspace = _owner_for(cast, user or cast.owner, relation)
            record = row.make(cast, owner, workspace)
            if relation == "deleted" and getattr(record, "deleted_at", "n/a") is None:
                with workspace_scope(workspace.pk), audit_context(actor=cast.owner, source="web"):
                    services.record_delete(actor=actor_for(cast.owner, workspace), record=record)
        url = reverse(row.url_name, kwargs=row.kwargs(record) if row.kwargs else None)
        client.logout()
        if user is not None:
            client.force_login(user)
        response = _request(client, row, url, record)
        expected = row.anonymous if user is None else row.expect(role, relation)
        assert response.status_code == expected, (
            f"{row.method} {url} as {role} on a {relation or 'page'} record: "
            f"expected {expected}, got {response.status_code}"
        )
