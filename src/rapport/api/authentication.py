"""How an API request says who it is: a personal token (Bearer) or the browser session.

Both bind the request to one workspace and record writes with the source ``api``.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from rapport.api import services
from rapport.core.scoping import activate


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer rpt_<prefix>_<secret>``: the token's user, in the token's workspace."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header; send “Bearer <token>”.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API token.") from None
        try:
            token, actor = services.token_authenticate(raw)
        except services.TokenRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        django_request = request._request
        django_request.actor = actor
        django_request.workspace = actor.workspace
        request.actor = actor
        activate(workspace_id=actor.workspace.pk, actor=token.user, source="api")
        services.token_record_use(token, request=django_request)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class WorkspaceSessionAuthentication(SessionAuthentication):
    """The logged-in browser session (browsable API, docs): the session's workspace, CSRF enforced on writes."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        actor = getattr(request._request, "actor", None)
        if actor is not None:
            request.actor = actor
            activate(workspace_id=actor.workspace.pk, actor=user, source="api")
        return user, None
