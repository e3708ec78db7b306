"""HTML pages for personal API tokens (Settings → API tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.api import services
from rapport.api.forms import ApiTokenForm
from rapport.api.selectors import token_for_actor_or_404, tokens_for
from rapport.core.decorators import workspace_required

# Service error keys -> form fields, so every error shows next to the field it is about.
_FORM_FIELD = {"name": "name", "scopes": "scopes", "expires_at": "expires_in"}


@workspace_required
def token_list(request: HttpRequest) -> HttpResponse:
    tokens = list(tokens_for(request.actor)[:200])
    return render(request, "api/tokens.html", {"tokens": tokens})


@workspace_required
def token_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not actor.can("api_tokens.create"):
        raise PermissionDenied("You may not create API tokens.")
    form = ApiTokenForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.token_create(
                actor=actor,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
                request=request,
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(_FORM_FIELD.get(key), errors)
        else:
            # Rendered, not redirected: the plaintext must never travel through a URL or the session.
            response = render(request, "api/token_created.html", {"token": issued.token, "plaintext": issued.plaintext})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "api/token_form.html", {"form": form})


@workspace_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = token_for_actor_or_404(request.actor, pk)
    if services.token_revoke(actor=request.actor, token=token, request=request):
        messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    else:
        messages.info(request, f"Token “{token.name}” was already revoked.")
    return redirect("api:tokens")
