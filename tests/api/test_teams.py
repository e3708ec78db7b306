"""/api/v1/teams/: the RecordViewSet base shown on the Team model."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.core.models import Team
from rapport.core.scoping import workspace_scope
from tests.api.helpers import assert_problem
from tests.factories import TeamFactory


def _team(cast, pk):
    with workspace_scope(cast.workspace.pk):
        return Team.all_objects.get(pk=pk)


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "sales", "support", "marketing", "read_only"])
def test_every_member_lists_and_reads_teams(cast, as_token, role):
    client = as_token(cast.members[role])
    names = [team["name"] for team in client.get("/api/v1/teams/").json()["results"]]
    assert names == ["East", "West"]
    assert client.get(f"/api/v1/teams/{cast.team_east.pk}/").json()["manager"] == cast.manager.pk


@pytest.mark.parametrize("role", ["manager", "sales", "support", "marketing", "read_only"])
def test_only_owners_and_admins_manage_teams(cast, as_token, role):
    client = as_token(cast.members[role])
    assert_problem(client.post("/api/v1/teams/", {"name": "North"}), 403)
    assert_problem(client.patch(f"/api/v1/teams/{cast.team_west.pk}/", {"name": "Westward"}), 403)
    assert_problem(client.delete(f"/api/v1/teams/{cast.team_west.pk}/"), 403)
    assert _team(cast, cast.team_west.pk).name == "West"


def test_admin_creates_a_team_with_etag_and_location(cast, as_token):
    response = as_token(cast.admin).post("/api/v1/teams/", {"name": "North", "manager": cast.manager.pk})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "North" and body["manager"] == cast.manager.pk and body["version"] == 1
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/api/v1/teams/{body['id']}/")
    assert _team(cast, body["id"]).workspace_id == cast.workspace.pk


def test_retrieve_sends_the_version_as_etag_and_304_when_unchanged(cast, as_token):
    client = as_token(cast.sales)
    url = f"/api/v1/teams/{cast.team_west.pk}/"
    response = client.get(url)
    assert response["ETag"] == '"1"'
    not_modified = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == '"1"'
    assert client.get(url, headers={"If-None-Match": '"0"'}).status_code == 200
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304


def test_update_with_matching_if_match_bumps_the_etag(cast, as_token):
    client = as_token(cast.admin)
    url = f"/api/v1/teams/{cast.team_west.pk}/"
    response = client.patch(url, {"name": "Westward"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert response.json()["version"] == 2
    assert _team(cast, cast.team_west.pk).name == "Westward"


def test_stale_if_match_writes_nothing(cast, as_token):
    client = as_token(cast.admin)
    url = f"/api/v1/teams/{cast.team_west.pk}/"
    assert client.patch(url, {"name": "First"}, headers={"If-Match": '"1"'}).status_code == 200
    assert_problem(client.patch(url, {"name": "Second"}, headers={"If-Match": '"1"'}), 412)
    assert_problem(client.delete(url, headers={"If-Match": '"1"'}), 412)
    assert_problem(client.patch(url, {"name": "Third"}, headers={"If-Match": 'W/"2"'}), 412)  # strong comparison
    team = _team(cast, cast.team_west.pk)
    assert (team.name, team.version, team.deleted_at) == ("First", 2, None)


def test_if_match_is_checked_before_the_body(cast, as_token):
    response = as_token(cast.admin).patch(
        f"/api/v1/teams/{cast.team_west.pk}/", {"name": ""}, headers={"If-Match": '"7"'}
    )
    assert_problem(response, 412)


def test_put_replaces_and_validates(cast, as_token):
    client = as_token(cast.admin)
    url = f"/api/v1/teams/{cast.team_east.pk}/"
    body = assert_problem(client.put(url, {"manager": None}), 400)
    assert [e["field"] for e in body["errors"]] == ["name"]
    response = client.put(url, {"name": "Eastern", "manager": None})
    assert response.status_code == 200
    assert response.json()["manager"] is None


def test_delete_moves_the_team_to_the_recycle_bin(cast, as_token):
    client = as_token(cast.owner)
    url = f"/api/v1/teams/{cast.team_west.pk}/"
    response = client.delete(url, headers={"If-Match": '"1"'})
    assert response.status_code == 204
    assert _team(cast, cast.team_west.pk).deleted_at is not None
    assert_problem(client.get(url), 404)
    assert [t["name"] for t in client.get("/api/v1/teams/").json()["results"]] == ["East"]


def test_sparse_fieldsets_return_only_the_asked_fields(cast, as_token):
    client = as_token(cast.sales)
    listed = client.get("/api/v1/teams/?fields=id,name").json()["results"]
    assert listed[0].keys() == {"id", "name"}
    one = client.get(f"/api/v1/teams/{cast.team_east.pk}/?fields=name").json()
    assert one == {"name": "East"}
    body = assert_problem(client.get("/api/v1/teams/?fields=name,secret"), 400)
    assert body["errors"][0]["field"] == "fields"
    assert "secret" in body["errors"][0]["detail"]


def test_ordering_follows_the_allow_list(cast, as_token):
    client = as_token(cast.sales)
    names = [t["name"] for t in client.get("/api/v1/teams/?ordering=-name").json()["results"]]
    assert names == ["West", "East"]
    body = assert_problem(client.get("/api/v1/teams/?ordering=manager,-version"), 400)
    assert body["errors"][0]["field"] == "ordering"
    assert "manager" in body["errors"][0]["detail"] and "version" in body["errors"][0]["detail"]


@pytest.mark.parametrize("ordering", ["", "-name", "created_at", "-updated_at"])
def test_cursor_pages_cover_every_team_once(cast, as_token, ordering):
    for n in range(11):
        TeamFactory(workspace=cast.workspace, name=f"Team {n:02d}")
    client = as_token(cast.sales)
    url = f"/api/v1/teams/?page_size=4&ordering={ordering}"
    seen, pages = [], 0
    while url:
        page = client.get(url).json()
        seen.extend(team["id"] for team in page["results"])
        url, pages = page["next"], pages + 1
    assert pages == 4
    assert len(seen) == len(set(seen)) == 13
    # Walking back from the last page gives the same teams in the same order.
    back, url = [], page["previous"]
    while url:
        previous = client.get(url).json()
        back = [team["id"] for team in previous["results"]] + back
        url = previous["previous"]
    assert back == seen[: len(back)] and len(back) == 12


def test_page_size_is_capped_and_checked(cast, as_token):
    client = as_token(cast.sales)
    assert len(client.get("/api/v1/teams/?page_size=5000").json()["results"]) == 2
    body = assert_problem(client.get("/api/v1/teams/?page_size=zero"), 400)
    assert body["errors"][0]["field"] == "page_size"
    assert_problem(client.get("/api/v1/teams/?cursor=garbage"), 400)


def test_list_query_count_does_not_grow_with_rows(cast, as_token):
    client = as_token(cast.sales)
    client.get("/api/v1/teams/")  # the first use writes last_used_at and the security event
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/teams/")
    for n in range(20):
        TeamFactory(workspace=cast.workspace, name=f"Extra {n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/teams/")
    assert len(many) == len(few)
