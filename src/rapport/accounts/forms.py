"""Forms of the members, teams, workspace-settings and security-log pages.

Forms only parse input; the rules (who may grant which role, the last owner...) live in
services.py, whose ValidationErrors are shown on the form's fields.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from rapport.accounts import selectors
from rapport.accounts.iso import normalize_code, validate_currency, validate_phone_region
from rapport.accounts.services import MAX_RETENTION_DAYS
from rapport.core.permissions import Actor
from rapport.core.roles import Role, Visibility


def role_choices(actor: Actor) -> list[tuple[str, str]]:
    """Roles the actor may hand out: only owners grant the owner role."""
    may_grant_owner = actor.can("members.manage_owners")
    return [(value, label) for value, label in Role.choices if value != Role.OWNER or may_grant_owner]


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(label="Role")
    team = TeamChoiceField(label="Team", queryset=None, required=False, empty_label="No team")

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor)
        self.fields["role"].initial = Role.SALES
        self.fields["team"].queryset = selectors.teams(actor)
        self.fields["email"].widget.attrs.update(autocomplete="off")


class MemberForm(forms.Form):
    role = forms.ChoiceField(label="Role")
    team = TeamChoiceField(label="Team", queryset=None, required=False, empty_label="No team")

    def __init__(self, *args, actor: Actor, membership, **kwargs) -> None:
        kwargs.setdefault("initial", {"role": membership.role, "team": membership.team_id})
        super().__init__(*args, **kwargs)
        choices = role_choices(actor)
        if membership.role == Role.OWNER and all(value != Role.OWNER for value, _ in choices):
            choices = [(Role.OWNER.value, Role.OWNER.label), *choices]  # shown, but services refuse a change
        self.fields["role"].choices = choices
        self.fields["team"].queryset = selectors.teams(actor)


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=120)
    manager = UserChoiceField(
        label="Manager",
        queryset=None,
        required=False,
        empty_label="No manager",
        help_text="A manager sees the records owned by everyone in the team.",
    )

    def __init__(self, *args, actor: Actor, team=None, **kwargs) -> None:
        if team is not None:
            kwargs.setdefault("initial", {"name": team.name, "manager": team.manager_id, "version": team.version})
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = selectors.member_users(actor)
        if team is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=120)
    default_visibility = forms.ChoiceField(
        label="Who sees records",
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text="Owners and admins always see everything; unowned records are shared with everyone.",
    )
    default_region = forms.CharField(
        label="Default phone country",
        max_length=2,
        validators=[validate_phone_region],
        help_text="Two-letter ISO code (US, DE, FR…) used to read phone numbers typed without +country code.",
    )
    default_currency = forms.CharField(
        label="Default currency",
        max_length=3,
        validators=[validate_currency],
        help_text="Three-letter ISO 4217 code (USD, EUR, GBP…).",
    )
    recycle_bin_days = forms.IntegerField(
        label="Recycle bin retention (days)",
        required=False,
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        help_text="How long deleted records stay restorable. Leave empty for the site default.",
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": workspace.name,
                "default_visibility": workspace.default_visibility,
                "default_region": workspace.default_region,
                "default_currency": workspace.default_currency,
                "recycle_bin_days": workspace.recycle_bin_days,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["default_region"].widget.attrs.update(autocomplete="off", size=4)
        self.fields["default_currency"].widget.attrs.update(autocomplete="off", size=5)

    def clean_default_region(self) -> str:
        return normalize_code(self.cleaned_data["default_region"])

    def clean_default_currency(self) -> str:
        return normalize_code(self.cleaned_data["default_currency"])


class SecurityLogFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Event", required=False)
    user = UserChoiceField(label="Person", queryset=None, required=False, empty_label="Anyone")

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Any event"), *((k, k) for k in selectors.SECURITY_KINDS)]
        self.fields["user"].queryset = selectors.member_users(actor, active_only=False)


def time_zone_choices() -> list[tuple[str, str]]:
    import zoneinfo

    names = sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


class ProfileForm(forms.Form):
    """The signed-in person's own name and time zone (dates and times are shown in it)."""

    full_name = forms.CharField(label="Full name", max_length=200)
    time_zone = forms.ChoiceField(
        label="Time zone", help_text="Dates and times are shown in this time zone.", choices=time_zone_choices
    )
