"""/api/v1/me/ and /api/v1/members/."""

from __future__ import annotations

from rapport.core.models import Membership
from rapport.core.roles import Role
from tests.api.helpers import assert_problem
from tests.factories import UserFactory


def test_me_describes_the_token_user_workspace_role_and_scopes(cast, as_token):
    body = as_token(cast.sales, scopes=["read"]).get("/api/v1/me/").json()
    assert body["user"] == {"id": cast.sales.pk, "email": cast.sales.email, "full_name": cast.sales.full_name}
    assert body["workspace"] == {"id": cast.workspace.pk, "name": "Acme", "slug": "acme"}
    assert body["role"] == "sales"
    assert body["team"] == {"id": cast.team_east.pk, "name": "East"}
    assert body["scopes"] == ["read"]
    assert body["authentication"] == "token"
    assert body["token"]["name"] == "test token"
    assert body["token"]["expires_at"] is None


def test_me_with_a_session_has_both_scopes_and_no_token(cast, login):
    body = login(cast.reader).get("/api/v1/me/").json()
    assert (body["role"], body["team"], body["authentication"], body["token"]) == ("read_only", None, "session", None)
    assert body["scopes"] == ["read", "write"]


def test_members_lists_active_members_with_role_and_team(cast, as_token):
    gone = UserFactory(email="gone@acme.test")
    Membership.objects.create(user=gone, workspace=cast.workspace, role=Role.SALES, is_active=False)
    results = as_token(cast.support).get("/api/v1/members/").json()["results"]
    by_email = {member["user"]["email"]: member for member in results}
    expected = {user.email for user in cast.members.values()} | {cast.sales_peer.email, cast.sales_west.email}
    assert set(by_email) == expected
    assert by_email["sales@acme.test"]["role"] == "sales"
    assert by_email["sales@acme.test"]["team"] == {"id": cast.team_east.pk, "name": "East"}
    assert by_email["owner@acme.test"]["team"] is None
    assert [m["user"]["email"] for m in results] == sorted(by_email)


def test_members_page_by_cursor_without_duplicates(cast, as_token):
    client = as_token(cast.owner)
    url, seen = "/api/v1/members/?page_size=3", []
    while url:
        page = client.get(url).json()
        seen.extend(member["id"] for member in page["results"])
        url = page["next"]
    assert len(seen) == len(set(seen)) == 9


def test_members_of_a_soft_deleted_team_show_no_team(cast, as_token):
    client = as_token(cast.owner)
    assert client.delete(f"/api/v1/teams/{cast.team_west.pk}/").status_code == 204
    results = client.get("/api/v1/members/").json()["results"]
    west = next(m for m in results if m["user"]["email"] == "west@acme.test")
    assert west["team"] is None


def test_members_and_me_need_authentication(api):
    assert_problem(api.get("/api/v1/members/"), 401)
    assert_problem(api.get("/api/v1/me/"), 401)


def test_members_query_count_does_not_grow_with_members(cast, as_token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_token(cast.owner)
    client.get("/api/v1/members/")  # the token's first use writes last_used_at and the security event
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/members/")
    for _ in range(10):
        Membership.objects.create(user=UserFactory(), workspace=cast.workspace, role=Role.SALES, team=cast.team_west)
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/members/")
    assert len(many) == len(few)
