import pytest
from django.core.exceptions import ValidationError

from rapport.core.scoping import UnscopedQueryError, unscoped, workspace_scope
from tests.sampleapp.models import Widget


def test_scoped_query_without_workspace_is_refused(cast):
    with workspace_scope(None), pytest.raises(UnscopedQueryError):
        list(Widget.objects.all())


def test_scoped_query_sees_only_the_active_workspace(cast, acting):
    with acting(cast.owner, cast.workspace):
        Widget.objects.create(name="ours")
    with acting(cast.outsider, cast.other_workspace):
        Widget.objects.create(name="theirs")
        assert list(Widget.objects.values_list("name", flat=True)) == ["theirs"]
    with unscoped():
        assert Widget.objects.count() == 2


def test_saving_into_another_workspace_than_the_active_one_is_refused(cast, acting):
    with acting(cast.owner, cast.workspace), pytest.raises(UnscopedQueryError):
        Widget(name="smuggled", workspace=cast.other_workspace).save()


def test_reference_to_another_workspaces_row_is_rejected(cast, acting):
    with acting(cast.outsider, cast.other_workspace):
        from rapport.core.models import Team

        foreign_team = Team.objects.create(name="Foreign")
    with acting(cast.owner, cast.workspace), pytest.raises(ValidationError) as info:
        Widget.objects.create(name="w", team=foreign_team)
    assert "team" in info.value.message_dict


def test_owner_must_be_a_member_of_the_workspace(cast, acting):
    with acting(cast.owner, cast.workspace), pytest.raises(ValidationError) as info:
        Widget.objects.create(name="w", owner=cast.outsider)
    assert info.value.message_dict["owner"] == ["This user is not a member of the workspace."]


def test_unique_constraints_include_the_workspace(cast, acting):
    with acting(cast.owner, cast.workspace):
        Widget.objects.create(name="Same name")
    with acting(cast.outsider, cast.other_workspace):
        Widget.objects.create(name="Same name")  # no clash across workspaces
