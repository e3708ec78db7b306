"""Who an API request is: bearer tokens, sessions, and the workspace each is bound to."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from rapport.core.models import Membership, RecordHistory, Team
from rapport.core.scoping import workspace_scope
from tests.api.helpers import assert_problem


def _team_type():
    return ContentType.objects.get_for_model(Team)


def test_anonymous_request_is_401_problem_with_bearer_challenge(api):
    response = api.get("/api/v1/me/")
    body = assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert body["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rpt_aaaaaaaaaaaa_" + "a" * 40,  # well-formed, unknown
        "Bearer nonsense",
        "Bearer rpt_x_y",
        "Bearer",
        "Bearer a b",
    ],
)
def test_wrong_token_is_401_problem(cast, api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    assert_problem(api.get("/api/v1/me/"), 401, "authentication-failed")


def test_token_with_a_wrong_secret_is_refused(cast, make_token, api):
    plaintext = make_token(cast.sales)
    keyword, prefix, secret = plaintext.split("_")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {keyword}_{prefix}_{'Z' * len(secret)}")
    assert_problem(api.get("/api/v1/me/"), 401, "authentication-failed")


def test_token_of_a_removed_member_is_refused(cast, as_token):
    client = as_token(cast.sales)
    Membership.objects.filter(user=cast.sales, workspace=cast.workspace).update(is_active=False)
    body = assert_problem(client.get("/api/v1/me/"), 401)
    assert "no longer a member" in body["detail"]


def test_token_of_a_disabled_account_is_refused(cast, as_token):
    client = as_token(cast.sales)
    type(cast.sales).objects.filter(pk=cast.sales.pk).update(is_active=False)
    assert_problem(client.get("/api/v1/me/"), 401)


def test_token_is_bound_to_its_workspace(cast, as_token):
    """The outsider owns workspace B; their token reaches none of workspace A's records."""
    client = as_token(cast.outsider, workspace=cast.other_workspace)
    me = client.get("/api/v1/me/").json()
    assert me["workspace"]["id"] == cast.other_workspace.pk
    assert_problem(client.get(f"/api/v1/teams/{cast.team_east.pk}/"), 404, "not-found")
    assert_problem(client.patch(f"/api/v1/teams/{cast.team_east.pk}/", {"name": "Taken"}), 404)
    assert_problem(client.delete(f"/api/v1/teams/{cast.team_east.pk}/"), 404)
    listed = client.get("/api/v1/teams/").json()["results"]
    assert cast.team_east.pk not in [team["id"] for team in listed]
    emails = [m["user"]["email"] for m in client.get("/api/v1/members/").json()["results"]]
    assert emails == [cast.outsider.email]


def test_token_workspace_wins_over_the_session_workspace(cast, make_token, client):
    """A browser logged in to workspace A sending B's token acts in B only."""
    plaintext = make_token(cast.outsider, workspace=cast.other_workspace)
    client.force_login(cast.owner)
    response = client.get(f"/api/v1/teams/{cast.team_east.pk}/", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 404


def test_read_scope_token_cannot_write(cast, as_token):
    client = as_token(cast.owner, scopes=["read"])
    assert client.get("/api/v1/teams/").status_code == 200
    body = assert_problem(client.post("/api/v1/teams/", {"name": "North"}), 403, "permission-denied")
    assert "write scope" in body["detail"]
    assert_problem(client.delete(f"/api/v1/teams/{cast.team_west.pk}/"), 403)
    with workspace_scope(cast.workspace.pk):
        assert not Team.objects.filter(name="North").exists()
        assert Team.objects.filter(pk=cast.team_west.pk).exists()


def test_write_only_token_cannot_read(cast, as_token):
    client = as_token(cast.owner, scopes=["write"])
    assert_problem(client.get("/api/v1/teams/"), 403)
    assert client.post("/api/v1/teams/", {"name": "North"}).status_code == 201


def test_token_writes_are_recorded_with_source_api_and_the_token_user(cast, as_token):
    client = as_token(cast.admin)
    created = client.post("/api/v1/teams/", {"name": "North"}).json()
    with workspace_scope(cast.workspace.pk):
        entry = RecordHistory.objects.get(content_type=_team_type(), object_id=created["id"], action="create")
    assert (entry.source, entry.actor_id, entry.workspace_id) == ("api", cast.admin.pk, cast.workspace.pk)


def test_session_requests_act_in_the_session_workspace_with_source_api(cast, login):
    client = login(cast.admin)
    response = client.post("/api/v1/teams/", {"name": "North"}, content_type="application/json")
    assert response.status_code == 201
    with workspace_scope(cast.workspace.pk):
        entry = RecordHistory.objects.get(content_type=_team_type(), object_id=response.json()["id"], action="create")
    assert (entry.source, entry.actor_id) == ("api", cast.admin.pk)


def test_session_writes_need_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin)
    assert client.get("/api/v1/teams/").status_code == 200
    body = assert_problem(
        client.post("/api/v1/teams/", {"name": "North"}, content_type="application/json"), 403, "permission-denied"
    )
    assert "CSRF" in body["detail"]
    client.get("/settings/api-tokens/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/teams/", {"name": "North"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201


def test_token_requests_need_no_csrf_token(cast, make_token):
    client = Client(enforce_csrf_checks=True)
    plaintext = make_token(cast.admin)
    response = client.post(
        "/api/v1/teams/",
        {"name": "North"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    assert response.status_code == 201


def test_logged_in_person_without_a_workspace_gets_403(db, api):
    from tests.factories import UserFactory

    api.force_login(UserFactory())
    assert_problem(api.get("/api/v1/me/"), 403)
