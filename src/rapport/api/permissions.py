"""Who may call an endpoint. Record visibility itself comes from rapport.core.permissions."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from rapport.core.permissions import can_change


def actor_of(request):
    return getattr(request._request, "actor", None)


class IsWorkspaceMember(BasePermission):
    """Authenticated, with an active membership in the workspace the request is bound to."""

    message = "You are not an active member of a workspace."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and actor_of(request))


class TokenScopePermission(BasePermission):
    """Reading needs the ``read`` scope, writing the ``write`` scope (session requests have both)."""

    def has_permission(self, request, view) -> bool:
        actor = actor_of(request)
        if actor is None:
            return True  # IsWorkspaceMember answers
        needed = "read" if request.method in SAFE_METHODS else "write"
        if needed in actor.scopes:
            return True
        self.message = f"This API token does not have the {needed} scope."
        return False


class RecordWritePermission(BasePermission):
    """Writes on a RecordViewSet: creating needs the view's capabilities; changing needs can_change().

    Changing is decided per object, after the lookup, so a record the actor cannot see is a 404
    (never a 403 that would confirm it exists).
    """

    def _capabilities_ok(self, actor, view) -> bool:
        if not actor.can_write:
            self.message = f"Your role ({actor.membership.get_role_display()}) cannot change records."
            return False
        capability = getattr(view, "write_capability", None)
        if capability and not actor.can(capability):
            self.message = f"Your role ({actor.membership.get_role_display()}) may not do this ({capability})."
            return False
        return True

    def has_permission(self, request, view) -> bool:
        actor = actor_of(request)
        if actor is None or request.method in SAFE_METHODS:
            return True
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
        if lookup and lookup in getattr(view, "kwargs", {}):
            return True  # a change to one record: decided in has_object_permission, after the 404 check
        if not self._capabilities_ok(actor, view):
            return False
        create_capability = getattr(view, "create_capability", None)
        if create_capability and not actor.can(create_capability):
            self.message = f"Your role ({actor.membership.get_role_display()}) may not create records here."
            return False
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        actor = actor_of(request)
        if request.method in SAFE_METHODS:
            return True
        if not self._capabilities_ok(actor, view):
            return False
        if not can_change(actor, obj):
            self.message = "You may view this record but not change it."
            return False
        return True
