"""The shared cast of every test (after healthchecks' hc/test.py).

Workspace A ("acme") has one member of each role, two sales teams (East managed by the
manager, West with no manager) and a default visibility of *team*. Workspace B ("rival")
has its own owner: the outsider. Tests say who acts; nobody is logged in by default.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connections

from rapport.core.models import Membership, Workspace
from rapport.core.permissions import Actor, actor_for
from rapport.core.roles import Role, Visibility
from rapport.core.scoping import audit_context, workspace_scope
from tests.factories import TeamFactory, UserFactory, WorkspaceFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@dataclass
class Cast:
    workspace: Workspace
    other_workspace: Workspace
    owner: object
    admin: object
    manager: object
    sales: object  # in team East (managed by `manager`)
    sales_peer: object  # also in team East
    sales_west: object  # in team West
    support: object
    marketing: object
    reader: object
    outsider: object  # owner of the other workspace
    team_east: object
    team_west: object

    def actor(self, user, workspace: Workspace | None = None) -> Actor:
        return actor_for(user, workspace or self.workspace)

    @property
    def members(self) -> dict[str, object]:
        return {
            "owner": self.owner,
            "admin": self.admin,
            "manager": self.manager,
            "sales": self.sales,
            "support": self.support,
            "marketing": self.marketing,
            "read_only": self.reader,
        }


def _member(workspace, role, team=None, **user_kwargs):
    user = UserFactory(**user_kwargs)
    Membership.objects.create(user=user, workspace=workspace, role=role, team=team)
    user.last_workspace = workspace
    user.save(update_fields=["last_workspace"])
    return user


@pytest.fixture
def cast(db) -> Cast:
    workspace = WorkspaceFactory(name="Acme", slug="acme", default_visibility=Visibility.TEAM)
    other = WorkspaceFactory(name="Rival", slug="rival")
    team_east = TeamFactory(workspace=workspace, name="East")
    team_west = TeamFactory(workspace=workspace, name="West")
    manager = _member(workspace, Role.MANAGER, team_east, email="manager@acme.test")
    team_east.manager = manager
    with workspace_scope(workspace.pk):
        team_east.save()
    return Cast(
        workspace=workspace,
        other_workspace=other,
        owner=_member(workspace, Role.OWNER, email="owner@acme.test"),
        admin=_member(workspace, Role.ADMIN, email="admin@acme.test"),
        manager=manager,
        sales=_member(workspace, Role.SALES, team_east, email="sales@acme.test"),
        sales_peer=_member(workspace, Role.SALES, team_east, email="peer@acme.test"),
        sales_west=_member(workspace, Role.SALES, team_west, email="west@acme.test"),
        support=_member(workspace, Role.SUPPORT, email="support@acme.test"),
        marketing=_member(workspace, Role.MARKETING, email="marketing@acme.test"),
        reader=_member(workspace, Role.READ_ONLY, email="reader@acme.test"),
        outsider=_member(other, Role.OWNER, email="outsider@rival.test"),
        team_east=team_east,
        team_west=team_west,
    )


@pytest.fixture
def acting():
    """``with acting(user, workspace):`` runs service code as that user, like a request would."""
    import contextlib

    @contextlib.contextmanager
    def _acting(user, workspace, source="web"):
        with workspace_scope(workspace.pk), audit_context(actor=user, source=source):
            yield actor_for(user, workspace)

    return _acting


@pytest.fixture
def login(client):
    """``login(user)`` returns the test client logged in as ``user``."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- The flush after each transactional test ------------------------------------------------

_SECURITY_LOG_GUARD = importlib.import_module("rapport.core.migrations.0002_security_log_append_only")


class _SqlRecorder:
    """Stands in for a schema editor: collects the SQL of the migration's forward/backward functions."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.statements: list[str] = []

    def execute(self, sql: str) -> None:
        self.statements.append(sql)


def _guard_sql(connection, direction: str) -> list[str]:
    recorder = _SqlRecorder(connection)
    getattr(_SECURITY_LOG_GUARD, direction)(None, recorder)
    return recorder.statements


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _security_log_flushable(request: pytest.FixtureRequest) -> Iterator[None]:
    """Make the flush that ends a transactional test work, and fast, without weakening the security log.

    Transactional and live-server tests commit for real, so pytest-django empties every table
    afterwards. Two problems with Django's flush: the security log's append-only triggers refuse
    it, and on PostgreSQL its TRUNCATE of ~100 tables takes seconds (each one scans the shared
    buffers). This teardown runs just before the flush and rewrites that one flush's SQL: drop the
    triggers (the migration's own SQL), empty the tables (DELETE on PostgreSQL, constraints
    deferred), re-create the triggers, all in the flush's single transaction.
    """
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so it tears down (flushes) after us
    yield
    connection = connections["default"]
    ops = connection.ops
    django_sql_flush = ops.sql_flush

    def sql_flush(style, tables, *, reset_sequences: bool = False, allow_cascade: bool = False) -> list[str]:
        del ops.sql_flush  # this flush only
        if connection.vendor == "postgresql" and not reset_sequences:
            # Table names come from Django's model registry, quoted by the backend.
            deletes = [f"DELETE FROM {ops.quote_name(table)}" for table in tables]  # noqa: S608
            emptying = ["SET CONSTRAINTS ALL DEFERRED", *deletes]
        else:
            emptying = django_sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return _guard_sql(connection, "backward") + emptying + _guard_sql(connection, "forward")

    ops.sql_flush = sql_flush
