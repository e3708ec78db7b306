"""The core endpoints: who am I, the workspace's members and teams; plus the docs page and the API 404."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rapport.api.models import ApiToken
from rapport.api.pagination import CursorPagination
from rapport.api.permissions import IsWorkspaceMember, TokenScopePermission
from rapport.api.problems import problem_response
from rapport.api.serializers import MemberSerializer, MeSerializer, TeamSerializer, live_team
from rapport.api.viewsets import RecordViewSet
from rapport.core.models import Membership, Team


class MeView(APIView):
    """The person behind the request, the workspace it is bound to, their role and the token's scopes."""

    permission_classes = [IsWorkspaceMember, TokenScopePermission]

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        actor = request._request.actor
        token = request.auth if isinstance(request.auth, ApiToken) else None
        team = live_team(actor.membership)
        data: dict[str, Any] = {
            "user": {"id": actor.user.pk, "email": actor.user.email, "full_name": actor.user.full_name},
            "workspace": {"id": actor.workspace.pk, "name": actor.workspace.name, "slug": actor.workspace.slug},
            "role": actor.role,
            "team": {"id": team.pk, "name": team.name} if team else None,
            "scopes": sorted(actor.scopes),
            "authentication": "token" if token else "session",
            "token": {"name": token.name, "prefix": token.prefix, "expires_at": token.expires_at} if token else None,
        }
        return Response(MeSerializer(data).data)


class MemberList(generics.ListAPIView):
    """Active members of the workspace with their role and team, ordered by email."""

    serializer_class = MemberSerializer
    permission_classes = [IsWorkspaceMember, TokenScopePermission]
    pagination_class = CursorPagination
    queryset = Membership.objects.none()  # for schema introspection; requests use get_queryset()

    def get_ordering(self) -> tuple[str, ...]:
        return ("email", "id")

    def get_queryset(self) -> models.QuerySet[Membership]:
        actor = self.request._request.actor
        return (
            Membership.objects.filter(workspace_id=actor.workspace.pk, is_active=True)
            .select_related("user", "team")
            .annotate(email=models.F("user__email"))
        )


class TeamViewSet(RecordViewSet):
    """Teams of the workspace. Every member lists and reads them; owners and admins manage them."""

    model = Team
    serializer_class = TeamSerializer
    ordering_fields = ("name", "created_at", "updated_at")
    ordering = ("name",)
    write_capability = "teams.manage"
    create_capability = None


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with no inline script or style: the page loads script files only (our CSP forbids inline)."""

    template_name = "api/swagger_ui.html"


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any URL under /api/ that no endpoint claimed: a problem+json 404 instead of the HTML page."""
    detail = f"There is no API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail += f" Did you mean {request.path}/ (with a trailing slash)?"
    return problem_response(request, 404, "not-found", "Not found", detail)
