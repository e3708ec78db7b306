"""The permission matrix: every URL, every role, every relation to the record → expected status.

Each app declares its rows in ``tests/<app>/matrix.py`` as ``ROWS = [Row(...), ...]``; URLs that
need no row (third-party auth pages, the platform admin) are listed in ``EXEMPT`` with a reason.
``tests/test_permission_matrix.py`` fails when a named URL has no row, so every new view or
API endpoint must say who may use it.

Relations are fixed people of the shared cast (tests/conftest.py), seen from the acting user:
- ``own``: the record is owned by the acting user;
- ``team``: owned by ``sales_peer`` (team East: the manager's and the sales rep's team);
- ``other``: owned by ``sales_west`` (team West);
- ``foreign``: a record of the other workspace;
- ``deleted``: the acting user's own record, in the recycle bin.
Workspace A's default visibility is *team*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("owner", "admin", "manager", "sales", "support", "marketing", "read_only")
RELATIONS = ("own", "team", "other", "foreign", "deleted")

# Who sees a record owned by `relation`, in workspace A (visibility: team).
SEES = {
    "owner": {"own", "team", "other"},
    "admin": {"own", "team", "other"},
    "manager": {"own", "team"},
    "sales": {"own", "team"},
    "support": {"own"},
    "marketing": {"own"},
    "read_only": {"own"},
}


def view_status(ok: int = 200) -> Callable[[str, str | None], int]:
    """Expected status of a record view: ``ok`` when the role sees the record, else 404."""

    def expect(role: str, relation: str | None) -> int:
        return ok if relation in SEES[role] else 404

    return expect


def change_status(ok: int = 302) -> Callable[[str, str | None], int]:
    """Expected status of a record change: 404 when unseen, 403 for read-only, else ``ok``."""

    def expect(role: str, relation: str | None) -> int:
        if relation not in SEES[role]:
            return 404
        return 403 if role == "read_only" else ok

    return expect


def roles_status(
    allowed: set[str] | frozenset[str], ok: int = 200, denied: int = 403
) -> Callable[[str, str | None], int]:
    """Expected status of a page without a record: ``ok`` for the listed roles, ``denied`` otherwise."""

    def expect(role: str, relation: str | None) -> int:
        return ok if role in allowed else denied

    return expect


ALL_ROLES = frozenset(ROLES)
WRITERS = frozenset(ROLES) - {"read_only"}
ADMINS = frozenset({"owner", "admin"})


@dataclass
class Row:
    """One URL (and method) of the matrix.

    ``make(cast, owner, workspace)`` builds a record (omit it for pages without a record) and
    ``kwargs(record)`` the URL's kwargs. ``data(record)`` is the POST body. ``anonymous`` is the
    expected status when nobody is logged in (302 to the login page for HTML, 401 for the API).
    """

    url_name: str
    expect: Callable[[str, str | None], int]
    method: str = "GET"
    make: Callable[[Any, Any, Any], Any] | None = None
    kwargs: Callable[[Any], dict] | None = None
    data: Callable[[Any], dict] | dict | None = None
    anonymous: int = 302
    content_type: str | None = None  # e.g. "application/json" for API writes
    headers: dict = field(default_factory=dict)
    relations: tuple[str, ...] = RELATIONS
    note: str = ""
