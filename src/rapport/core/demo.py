"""Demo data for `make run`: one workspace, its people and teams, then each app's records."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from rapport.core.models import Membership, Team, Workspace
from rapport.core.roles import Role
from rapport.core.scoping import audit_context, workspace_scope

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.rapport.example"
DEMO_PASSWORD = "rapport-demo"  # noqa: S105 - documented demo login for a local install

DEMO_PEOPLE = [
    ("owner@demo.rapport.example", "Olivia Owner", Role.OWNER, None),
    ("admin@demo.rapport.example", "Adam Admin", Role.ADMIN, None),
    ("maria@demo.rapport.example", "Maria Manager", Role.MANAGER, "Sales East"),
    ("sam@demo.rapport.example", "Sam Sales", Role.SALES, "Sales East"),
    ("sofia@demo.rapport.example", "Sofia Sales", Role.SALES, "Sales West"),
    ("sunil@demo.rapport.example", "Sunil Support", Role.SUPPORT, "Support"),
    ("mei@demo.rapport.example", "Mei Marketing", Role.MARKETING, None),
    ("rita@demo.rapport.example", "Rita Reader", Role.READ_ONLY, None),
]

# Apps append callables(workspace) -> str describing what they loaded. They must be idempotent.
demo_loaders: list[Callable[[Workspace], str]] = []


def ensure_demo_workspace(*, password: str) -> tuple[Workspace, bool]:
    User = get_user_model()
    workspace, created = Workspace.objects.get_or_create(slug=DEMO_SLUG, defaults={"name": "Demo Company"})
    users = {}
    for email, name, role, _team in DEMO_PEOPLE:
        user, user_created = User.objects.get_or_create(email=email, defaults={"full_name": name})
        if user_created:
            user.set_password(password)
            user.last_workspace = workspace
            user.save()
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        Membership.objects.get_or_create(user=user, workspace=workspace, defaults={"role": role})
        users[email] = user
    with workspace_scope(workspace.pk), audit_context(actor=users[DEMO_OWNER_EMAIL], source="system"):
        teams = {}
        for _email, _name, _role, team_name in DEMO_PEOPLE:
            if team_name and team_name not in teams:
                teams[team_name], _ = Team.objects.get_or_create(name=team_name)
        manager = users["maria@demo.rapport.example"]
        if teams["Sales East"].manager_id is None:
            teams["Sales East"].manager = manager
            teams["Sales East"].save()
        for email, _name, _role, team_name in DEMO_PEOPLE:
            if team_name:
                Membership.objects.filter(user=users[email], workspace=workspace, team__isnull=True).update(
                    team=teams[team_name]
                )
    return workspace, created


def run_demo_loaders(workspace: Workspace) -> list[str]:
    owner = get_user_model().objects.get(email=DEMO_OWNER_EMAIL)
    lines = []
    with workspace_scope(workspace.pk), audit_context(actor=owner, source="system"):
        for loader in demo_loaders:
            lines.append(loader(workspace))
    return lines
