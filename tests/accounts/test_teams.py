"""Teams: create, rename, change manager (who must be a member), delete to the recycle bin."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from rapport.accounts import services
from rapport.core.history import history_for
from rapport.core.models import Membership, Team
from rapport.core.scoping import workspace_scope


def test_admin_creates_a_team_with_a_manager(cast, login):
    response = login(cast.admin).post(reverse("accounts:team_create"), {"name": "North", "manager": cast.sales_west.pk})
    assert response.status_code == 302
    with workspace_scope(cast.workspace.pk):
        team = Team.objects.get(name="North")
        assert team.manager == cast.sales_west
        assert team.created_by == cast.admin
        assert history_for(team).get().action == "create"


def test_the_manager_must_be_a_member_of_the_workspace(cast, acting, login):
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.team_create(actor=actor, name="North", manager=cast.outsider)
    assert "not a member" in str(error.value.message_dict["manager"])
    response = login(cast.admin).post(reverse("accounts:team_create"), {"name": "North", "manager": cast.outsider.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["manager"]
    with workspace_scope(cast.workspace.pk):
        assert not Team.objects.filter(name="North").exists()


def test_a_deactivated_member_cannot_become_manager(cast, acting):
    Membership.objects.filter(user=cast.support, workspace=cast.workspace).update(is_active=False)
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(ValidationError):
        services.team_create(actor=actor, name="North", manager=cast.support)


def test_team_names_are_unique_in_a_workspace(cast, login):
    response = login(cast.admin).post(reverse("accounts:team_create"), {"name": "east"})
    assert response.status_code == 200
    assert "already a team" in response.context["form"].errors["name"][0]


def test_admin_renames_a_team_and_changes_its_manager_with_history(cast, login):
    url = reverse("accounts:team_edit", args=[cast.team_west.pk])
    client = login(cast.admin)
    page = client.get(url)
    assert page.status_code == 200
    version = page.context["form"].initial["version"]
    response = client.post(url, {"name": "West Coast", "manager": cast.sales_west.pk, "version": version})
    assert response.status_code == 302
    with workspace_scope(cast.workspace.pk):
        cast.team_west.refresh_from_db()
        assert (cast.team_west.name, cast.team_west.manager) == ("West Coast", cast.sales_west)
        change = history_for(cast.team_west).first()
    assert change.action == "update"
    assert change.changes["name"] == ["West", "West Coast"]


def test_a_stale_team_form_is_refused_instead_of_overwriting(cast, login):
    url = reverse("accounts:team_edit", args=[cast.team_west.pk])
    client = login(cast.admin)
    version = client.get(url).context["form"].initial["version"]
    client.post(url, {"name": "First", "version": version})
    response = client.post(url, {"name": "Second", "version": version})
    assert response.status_code == 200
    assert "changed by someone else" in str(response.context["form"].non_field_errors())
    with workspace_scope(cast.workspace.pk):
        cast.team_west.refresh_from_db()
    assert cast.team_west.name == "First"


def test_a_team_with_members_cannot_be_deleted(cast, login):
    response = login(cast.admin).post(reverse("accounts:team_delete", args=[cast.team_west.pk]), follow=True)
    assert "still has 1 member" in response.content.decode()
    with workspace_scope(cast.workspace.pk):
        assert Team.objects.filter(pk=cast.team_west.pk).exists()


def test_an_empty_team_goes_to_the_recycle_bin(cast, login):
    Membership.objects.filter(team=cast.team_west).update(team=None)
    response = login(cast.admin).post(reverse("accounts:team_delete", args=[cast.team_west.pk]))
    assert response.status_code == 302
    with workspace_scope(cast.workspace.pk):
        assert not Team.objects.filter(pk=cast.team_west.pk).exists()
        assert Team.all_objects.get(pk=cast.team_west.pk).deleted_by == cast.admin


def test_people_who_are_not_admins_cannot_manage_teams(cast, acting, login):
    with acting(cast.manager, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.team_create(actor=actor, name="Mine")
    client = login(cast.manager)
    assert client.post(reverse("accounts:team_create"), {"name": "Mine"}).status_code == 403
    assert client.post(reverse("accounts:team_edit", args=[cast.team_east.pk]), {"name": "Mine"}).status_code == 403


def test_a_team_of_another_workspace_is_not_found(cast, login):
    from tests.factories import TeamFactory

    theirs = TeamFactory(workspace=cast.other_workspace, name="Theirs")
    client = login(cast.owner)
    assert client.get(reverse("accounts:team_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("accounts:team_delete", args=[theirs.pk])).status_code == 404
