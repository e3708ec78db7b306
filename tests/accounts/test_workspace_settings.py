"""Workspace settings: validated ISO codes, all-or-nothing saves, visibility changes logged."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from rapport.accounts import services
from rapport.core.models import SecurityEvent, Workspace
from rapport.core.roles import Visibility
from rapport.core.security import SecurityKind

VALID = {
    "name": "Acme Inc.",
    "default_visibility": Visibility.TEAM,
    "default_region": "DE",
    "default_currency": "EUR",
    "recycle_bin_days": "60",
}


def test_admin_saves_settings_and_codes_are_upper_cased(cast, login):
    response = login(cast.admin).post(
        reverse("accounts:workspace_settings"), {**VALID, "default_region": "de", "default_currency": "eur"}
    )
    assert response.status_code == 302
    workspace = Workspace.objects.get(pk=cast.workspace.pk)
    assert (workspace.name, workspace.default_region, workspace.default_currency) == ("Acme Inc.", "DE", "EUR")
    assert workspace.retention_days == 60


@pytest.mark.parametrize(
    ("field", "value"),
    [("default_currency", "XYZ"), ("default_currency", "EURO"), ("default_region", "ZZ"), ("recycle_bin_days", "0")],
)
def test_a_bad_value_is_a_field_error_and_nothing_is_saved(cast, login, field, value):
    response = login(cast.owner).post(reverse("accounts:workspace_settings"), {**VALID, field: value})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    workspace = Workspace.objects.get(pk=cast.workspace.pk)
    assert (workspace.name, workspace.default_currency, workspace.default_region) == ("Acme", "USD", "US")
    assert not SecurityEvent.objects.filter(kind=SecurityKind.WORKSPACE_SETTINGS_CHANGED).exists()


def test_the_service_refuses_bad_codes_even_without_the_form(cast, acting):
    with acting(cast.owner, cast.workspace) as actor, pytest.raises(ValidationError) as error:
        services.workspace_update(
            actor=actor, workspace=cast.workspace, data={"name": "Renamed", "default_currency": "ABC"}
        )
    assert list(error.value.message_dict) == ["default_currency"]
    assert Workspace.objects.get(pk=cast.workspace.pk).name == "Acme"


def test_changing_visibility_is_written_to_the_security_log(cast, login):
    login(cast.admin).post(reverse("accounts:workspace_settings"), {**VALID, "default_visibility": Visibility.PRIVATE})
    event = SecurityEvent.objects.get(kind=SecurityKind.WORKSPACE_SETTINGS_CHANGED)
    assert event.user == cast.admin
    assert event.workspace == cast.workspace
    assert event.details["changes"]["default_visibility"] == [Visibility.TEAM, Visibility.PRIVATE]


def test_saving_unchanged_settings_logs_nothing(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        changes = services.workspace_update(actor=actor, workspace=cast.workspace, data={"name": "Acme"})
    assert changes == {}
    assert not SecurityEvent.objects.exists()


def test_people_who_are_not_admins_cannot_change_settings(cast, acting, login):
    with acting(cast.manager, cast.workspace) as actor, pytest.raises(PermissionDenied):
        services.workspace_update(actor=actor, workspace=cast.workspace, data={"name": "Mine"})
    assert login(cast.manager).post(reverse("accounts:workspace_settings"), VALID).status_code == 403
    assert Workspace.objects.get(pk=cast.workspace.pk).name == "Acme"
