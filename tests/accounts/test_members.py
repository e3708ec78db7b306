"""The members page: roles, teams, deactivation and removal, with the owner rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.accounts import services
from rapport.core.models import Membership, SecurityEvent
from rapport.core.permissions import actor_for
from rapport.core.roles import Role
from rapport.core.scoping import workspace_scope
from tests.factories import UserFactory


def seat(cast, user) -> Membership:
    return Membership.objects.get(workspace=cast.workspace, user=user)


def test_everyone_sees_the_member_list_but_only_admins_see_invitations_and_edit_links(cast, login):
    sales_page = login(cast.sales).get(reverse("accounts:members"))
    assert sales_page.status_code == 200
    assert cast.reader.email in sales_page.content.decode()
    assert sales_page.context["invite_form"] is None
    assert reverse("accounts:member_edit", args=[seat(cast, cast.reader).pk]) not in sales_page.content.decode()

    admin_page = login(cast.admin).get(reverse("accounts:members"))
    assert admin_page.context["invite_form"] is not None
    assert reverse("accounts:member_edit", args=[seat(cast, cast.reader).pk]) in admin_page.content.decode()


def test_the_member_list_never_shows_another_workspace(cast, login):
    page = login(cast.owner).get(reverse("accounts:members")).content.decode()
    assert cast.outsider.email not in page


def test_the_members_page_runs_the_same_number_of_queries_whatever_the_headcount(cast, login):
    client = login(cast.admin)
    url = reverse("accounts:members")
    client.get(url)  # warm caches (content types, session)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for _ in range(8):
        Membership.objects.create(user=UserFactory(), workspace=cast.workspace, team=cast.team_west)
    assert count() == before


def test_admin_changes_a_role_and_the_change_is_logged_with_old_and_new(cast, login):
    membership = seat(cast, cast.sales)
    response = login(cast.admin).post(
        reverse("accounts:member_edit", args=[membership.pk]), {"role": Role.MANAGER, "team": cast.team_east.pk}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER
    event = SecurityEvent.objects.get(kind="member.role_changed")
    assert event.user == cast.admin
    assert event.workspace == cast.workspace
    assert (event.details["member"], event.details["old_role"], event.details["new_role"]) == (
        cast.sales.email,
        Role.SALES,
        Role.MANAGER,
    )


def test_admin_moves_a_member_to_another_team(cast, login):
    membership = seat(cast, cast.sales)
    login(cast.admin).post(
        reverse("accounts:member_edit", args=[membership.pk]), {"role": Role.SALES, "team": cast.team_west.pk}
    )
    membership.refresh_from_db()
    assert membership.team == cast.team_west
    assert not SecurityEvent.objects.filter(kind="member.role_changed").exists()


def test_admins_cannot_grant_the_owner_role(cast, acting, login):
    membership = seat(cast, cast.sales)
    with acting(cast.admin, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.membership_change_role(actor=actor, membership=membership, role=Role.OWNER)
    response = login(cast.admin).post(reverse("accounts:member_edit", args=[membership.pk]), {"role": Role.OWNER})
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    membership.refresh_from_db()
    assert membership.role == Role.SALES


def test_admins_cannot_demote_an_owner(cast, acting):
    with acting(cast.owner, cast.workspace) as owner:
        services.membership_change_role(actor=owner, membership=seat(cast, cast.manager), role=Role.OWNER)
    with acting(cast.admin, cast.workspace) as admin, pytest.raises(PermissionDenied):
        services.membership_change_role(actor=admin, membership=seat(cast, cast.owner), role=Role.SALES)
    assert seat(cast, cast.owner).role == Role.OWNER


def test_owners_grant_and_remove_the_owner_role(cast, acting):
    with acting(cast.owner, cast.workspace) as owner:
        services.membership_change_role(actor=owner, membership=seat(cast, cast.admin), role=Role.OWNER)
        assert seat(cast, cast.admin).role == Role.OWNER
        services.membership_change_role(actor=owner, membership=seat(cast, cast.admin), role=Role.ADMIN)
    assert seat(cast, cast.admin).role == Role.ADMIN
    assert SecurityEvent.objects.filter(kind="member.role_changed").count() == 2


def test_the_last_owner_cannot_be_demoted(cast, acting, login):
    membership = seat(cast, cast.owner)
    with acting(cast.owner, cast.workspace) as owner, pytest.raises(ValidationError) as error:
        services.membership_change_role(actor=owner, membership=membership, role=Role.ADMIN)
    assert "at least one owner" in str(error.value)
    response = login(cast.owner).post(reverse("accounts:member_edit", args=[membership.pk]), {"role": Role.ADMIN})
    assert "at least one owner" in response.context["form"].errors["role"][0]
    assert seat(cast, cast.owner).role == Role.OWNER
    assert not SecurityEvent.objects.filter(kind="member.role_changed").exists()


def test_an_owner_may_step_down_when_another_owner_remains(cast, acting):
    with acting(cast.owner, cast.workspace) as owner:
        services.membership_change_role(actor=owner, membership=seat(cast, cast.admin), role=Role.OWNER)
        services.membership_change_role(actor=owner, membership=seat(cast, cast.owner), role=Role.ADMIN)
    assert seat(cast, cast.owner).role == Role.ADMIN


def test_a_deactivated_second_owner_does_not_count_as_the_remaining_owner(cast, acting):
    with acting(cast.owner, cast.workspace) as owner:
        services.membership_change_role(actor=owner, membership=seat(cast, cast.admin), role=Role.OWNER)
        services.member_deactivate(actor=owner, membership=seat(cast, cast.admin))
        with pytest.raises(ValidationError):
            services.membership_change_role(actor=owner, membership=seat(cast, cast.owner), role=Role.ADMIN)


def test_the_last_owner_cannot_be_deactivated_or_removed(cast, acting, login):
    membership = seat(cast, cast.owner)
    with acting(cast.owner, cast.workspace) as owner:
        with pytest.raises(ValidationError):
            services.member_deactivate(actor=owner, membership=membership)
        with pytest.raises(ValidationError):
            services.member_remove(actor=owner, membership=membership)
    response = login(cast.owner).post(reverse("accounts:member_remove", args=[membership.pk]), follow=True)
    assert "at least one owner" in response.content.decode()
    assert seat(cast, cast.owner).is_active


def test_admins_cannot_remove_an_owner(cast, acting):
    with acting(cast.admin, cast.workspace) as admin, pytest.raises(PermissionDenied):
        services.member_remove(actor=admin, membership=seat(cast, cast.owner))


def test_a_deactivated_member_loses_access_and_can_be_reactivated(cast, login):
    membership = seat(cast, cast.support)
    admin = login(cast.admin)
    assert admin.post(reverse("accounts:member_deactivate", args=[membership.pk])).status_code == 302
    assert actor_for(cast.support, cast.workspace) is None
    assert SecurityEvent.objects.filter(kind="member.deactivated", workspace=cast.workspace).exists()
    admin.post(reverse("accounts:member_reactivate", args=[membership.pk]))
    assert actor_for(cast.support, cast.workspace) is not None
    assert SecurityEvent.objects.filter(kind="member.reactivated", workspace=cast.workspace).exists()


def test_removing_a_manager_leaves_their_team_without_a_manager(cast, acting):
    with acting(cast.owner, cast.workspace) as owner:
        services.member_remove(actor=owner, membership=seat(cast, cast.manager))
    assert not Membership.objects.filter(user=cast.manager).exists()
    with workspace_scope(cast.workspace.pk):
        cast.team_east.refresh_from_db()
    assert cast.team_east.manager is None
    event = SecurityEvent.objects.get(kind="member.removed")
    assert event.details["member"] == cast.manager.email


def test_people_who_are_not_admins_cannot_change_members(cast, login):
    membership = seat(cast, cast.sales_peer)
    client = login(cast.manager)
    assert client.post(reverse("accounts:member_edit", args=[membership.pk]), {"role": "admin"}).status_code == 403
    assert client.post(reverse("accounts:member_remove", args=[membership.pk])).status_code == 403
    assert seat(cast, cast.sales_peer).role == Role.SALES


def test_a_member_of_another_workspace_is_not_found(cast, login):
    foreign = Membership.objects.get(user=cast.outsider)
    client = login(cast.owner)
    assert client.get(reverse("accounts:member_edit", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("accounts:member_remove", args=[foreign.pk])).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
