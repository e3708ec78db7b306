"""Workspace scoping: which workspace the current request or task acts in, and who acts.

Request and task code runs with *enforcement on*: every query through a workspace-scoped
manager is filtered to the active workspace, and a query with no active workspace raises
:class:`UnscopedQueryError` instead of reading every tenant's rows. Code that legitimately
spans workspaces (the recycle-bin purge, migrations, the shell) says so with :func:`unscoped`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


class UnscopedQueryError(RuntimeError):
    """A workspace-scoped model was queried in request or task code without an active workspace."""


@dataclass(frozen=True)
class Scope:
    enforced: bool
    workspace_id: int | None


@dataclass(frozen=True)
class AuditContext:
    actor: Any | None  # a User, or None for the system
    source: str  # web, api, import, task, system


_scope: ContextVar[Scope] = ContextVar("rapport_scope", default=Scope(enforced=False, workspace_id=None))  # noqa: B039 - frozen
_audit: ContextVar[AuditContext] = ContextVar("rapport_audit", default=AuditContext(actor=None, source="system"))  # noqa: B039 - frozen


def current_scope() -> Scope:
    return _scope.get()


def active_workspace_id() -> int | None:
    return _scope.get().workspace_id


@contextlib.contextmanager
def workspace_scope(workspace_id: int | None, *, enforced: bool = True) -> Iterator[None]:
    """Run the block inside one workspace (or none, which makes scoped queries fail)."""
    token = _scope.set(Scope(enforced=enforced, workspace_id=workspace_id))
    try:
        yield
    finally:
        _scope.reset(token)


@contextlib.contextmanager
def unscoped() -> Iterator[None]:
    """Explicitly allow cross-workspace queries (maintenance tasks, migrations)."""
    token = _scope.set(Scope(enforced=False, workspace_id=None))
    try:
        yield
    finally:
        _scope.reset(token)


def current_audit() -> AuditContext:
    return _audit.get()


@contextlib.contextmanager
def audit_context(*, actor: Any | None, source: str) -> Iterator[None]:
    token = _audit.set(AuditContext(actor=actor, source=source))
    try:
        yield
    finally:
        _audit.reset(token)


def activate(*, workspace_id: int | None, actor: Any | None, source: str) -> None:
    """Switch scope and audit inside a block that a middleware opened (API token authentication).

    The enclosing middleware resets both variables when the request ends, so no reset here.
    """
    _scope.set(Scope(enforced=True, workspace_id=workspace_id))
    _audit.set(AuditContext(actor=actor, source=source))
