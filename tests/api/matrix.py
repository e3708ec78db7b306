"""Permission-matrix rows of the API: core endpoints (/api/v1/...) and the API token pages."""

from __future__ import annotations

import uuid

from tests.matrix import ADMINS, ALL_ROLES, Row, roles_status

JSON = "application/json"


def _team(cast, owner, workspace):
    from rapport.core.models import Team
    from rapport.core.scoping import audit_context, workspace_scope

    with workspace_scope(workspace.pk), audit_context(actor=owner, source="web"):
        return Team.objects.create(name=f"Matrix {uuid.uuid4().hex[:8]}")


def _team_kwargs(team):
    return {"pk": team.pk}


def _new_name(_record=None):
    return {"name": f"Team {uuid.uuid4().hex[:8]}"}


def _manage_team(ok):
    """Teams are visible to every member; only owners and admins change them; another workspace's is a 404."""

    def expect(role, relation):
        if relation == "foreign":
            return 404
        return ok if role in ADMINS else 403

    return expect


def _read_team(role, relation):
    return 404 if relation == "foreign" else 200


def _token(cast, owner, workspace):
    from rapport.api import services
    from rapport.core.permissions import actor_for

    return services.token_create(actor=actor_for(owner, workspace), name="matrix", scopes=["read"]).token


def _revoke_expect(role, relation):
    return 302 if relation == "own" else 404  # only your own tokens; others' do not exist for you


TEAM_RELATIONS = ("own", "foreign")  # "own" = a team of the acting user's workspace (teams have no owner)

ROWS = [
    # Schema and docs describe the API and hold no data: public.
    Row("api:schema", roles_status(ALL_ROLES), anonymous=200),
    Row("api:docs", roles_status(ALL_ROLES), anonymous=200),
    Row("api:me", roles_status(ALL_ROLES), anonymous=401),
    Row("api:members", roles_status(ALL_ROLES), anonymous=401),
    Row("api:team-list", roles_status(ALL_ROLES), anonymous=401),
    Row(
        "api:team-list",
        roles_status(ADMINS, ok=201),
        method="POST",
        data=_new_name,
        content_type=JSON,
        anonymous=401,
    ),
    Row(
        "api:team-detail",
        _read_team,
        make=_team,
        kwargs=_team_kwargs,
        relations=TEAM_RELATIONS,
        anonymous=401,
    ),
    Row(
        "api:team-detail",
        _manage_team(200),
        method="PATCH",
        make=_team,
        kwargs=_team_kwargs,
        data=_new_name,
        content_type=JSON,
        relations=TEAM_RELATIONS,
        anonymous=401,
    ),
    Row(
        "api:team-detail",
        _manage_team(200),
        method="PUT",
        make=_team,
        kwargs=_team_kwargs,
        data=_new_name,
        content_type=JSON,
        relations=TEAM_RELATIONS,
        anonymous=401,
    ),
    Row(
        "api:team-detail",
        _manage_team(204),
        method="DELETE",
        make=_team,
        kwargs=_team_kwargs,
        content_type=JSON,
        relations=TEAM_RELATIONS,
        anonymous=401,
    ),
    # The token pages (HTML): everyone manages their own tokens.
    Row("api:tokens", roles_status(ALL_ROLES)),
    Row("api:token_create", roles_status(ALL_ROLES)),
    Row(
        "api:token_create",
        roles_status(ALL_ROLES),
        method="POST",
        data={"name": "matrix", "scopes": ["read"], "expires_in": "30"},
        note="200: the page that shows the new token once",
    ),
    Row(
        "api:token_revoke",
        _revoke_expect,
        method="POST",
        make=_token,
        kwargs=lambda token: {"pk": token.pk},
        relations=("own", "team", "foreign"),
    ),
    # Unknown /api/ URLs: a problem+json 404 for everyone.
    Row(
        "api_fallback:not_found",
        roles_status(frozenset(), denied=404),
        kwargs=lambda _record: {"rest": "v1/no-such-endpoint/"},
        anonymous=404,
    ),
]
