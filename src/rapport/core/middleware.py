from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from rapport.core.permissions import actor_for
from rapport.core.scoping import audit_context, workspace_scope

# Paths that never touch business rows, or that are platform-wide by design.
UNSCOPED_PREFIXES = ("/static/", "/healthz", "/readyz", "/admin/")
SESSION_KEY = "workspace_id"


class WorkspaceMiddleware:
    """Resolve the active workspace and role for the request, and enforce scoping around the view.

    Sets ``request.workspace`` and ``request.actor`` (None when the user has no workspace yet).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = None
        request.actor = None
        if request.path.startswith(UNSCOPED_PREFIXES):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated:
            request.actor = self._resolve_actor(request)
            if request.actor:
                request.workspace = request.actor.workspace
        workspace_id = request.workspace.pk if request.workspace else None
        _activate_time_zone(user)
        try:
            with (
                workspace_scope(workspace_id),
                audit_context(actor=user if user.is_authenticated else None, source="web"),
            ):
                return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _resolve_actor(request: HttpRequest):
        from rapport.core.models import Membership

        user = request.user
        wanted = request.session.get(SESSION_KEY) or user.last_workspace_id
        actor = None
        if wanted:
            from rapport.core.models import Workspace

            workspace = Workspace.objects.filter(pk=wanted).first()
            actor = actor_for(user, workspace) if workspace else None
        if actor is None:
            membership = Membership.objects.filter(user=user, is_active=True).select_related("workspace").first()
            if membership:
                actor = actor_for(user, membership.workspace)
        if actor and request.session.get(SESSION_KEY) != actor.workspace.pk:
            request.session[SESSION_KEY] = actor.workspace.pk
        return actor


def _activate_time_zone(user) -> None:
    """Show dates and times in the signed-in person's time zone (stored values stay UTC)."""
    name = getattr(user, "time_zone", "") if user.is_authenticated else ""
    try:
        timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()
