from __future__ import annotations

from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict:
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"actor": None, "current_workspace": None, "my_workspaces": []}

    def my_workspaces():
        from rapport.core.models import Membership

        return [
            m.workspace for m in Membership.objects.filter(user=actor.user, is_active=True).select_related("workspace")
        ]

    return {"actor": actor, "current_workspace": actor.workspace, "my_workspaces": my_workspaces}
