from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect


def workspace_required(view):
    """Logged in, with an active workspace (request.actor); otherwise login or create a workspace."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.actor is None:
            return redirect("core:workspace_create")
        return view(request, *args, **kwargs)

    return wrapper
