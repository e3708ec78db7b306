"""Members, invitations, teams and workspace settings. Each view: a selector, one service, a render."""

from __future__ import annotations

import smtplib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from rapport.accounts import selectors, services
from rapport.accounts.forms import InviteForm, MemberForm, ProfileForm, TeamForm, WorkspaceSettingsForm, apply_errors
from rapport.core.decorators import workspace_required
from rapport.core.history import describe_changes, history_for
from rapport.core.middleware import SESSION_KEY
from rapport.core.models import ConflictError
from rapport.core.permissions import Actor

MAIL_ERRORS = (OSError, smtplib.SMTPException)


def _require(actor: Actor, capability: str, message: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied(message)


def _error_text(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


# --- Members -----------------------------------------------------------------------------------


@workspace_required
def members(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    can_manage = actor.can("members.manage")
    context = {
        "members": list(selectors.members(actor)),
        "teams": list(selectors.teams(actor)),
        "invitations": list(selectors.open_invitations(actor)) if can_manage else [],
        "invite_form": InviteForm(actor=actor) if can_manage else None,
        "can_manage": can_manage,
        "can_manage_teams": actor.can("teams.manage"),
        "can_manage_workspace": actor.can("workspace.manage"),
    }
    return render(request, "accounts/members.html", context)


@workspace_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    membership = selectors.member_or_404(actor, pk)
    _require(actor, "members.manage", "Only owners and admins change members.")
    form = MemberForm(request.POST or None, actor=actor, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.member_update(
                actor=actor,
                membership=membership,
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("role", str(exc))
        else:
            if changed:
                messages.success(request, f"Saved {membership.user.display_name}.")
            return redirect("accounts:members")
    return render(request, "accounts/member_form.html", {"membership": membership, "form": form})


def _member_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    actor = request.actor
    membership = selectors.member_or_404(actor, pk)
    _require(actor, "members.manage", "Only owners and admins change members.")
    try:
        action(actor=actor, membership=membership, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        return redirect("accounts:member_edit", pk=membership.pk)
    messages.success(request, done.format(name=membership.user.display_name))
    return redirect("accounts:members")


@workspace_required
@require_POST
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _member_action(request, pk, services.member_deactivate, "{name} can no longer open this workspace.")


@workspace_required
@require_POST
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _member_action(request, pk, services.member_reactivate, "{name} is active again.")


@workspace_required
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _member_action(request, pk, services.member_remove, "{name} was removed from the workspace.")


# --- Invitations -------------------------------------------------------------------------------


@workspace_required
def invitation_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "members.manage", "Only owners and admins invite people.")
    form = InviteForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                actor=actor,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except MAIL_ERRORS as exc:
            form.add_error(None, f"The invitation email could not be sent ({exc}); nothing was saved. Try again.")
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:members")
    return render(request, "accounts/invite_form.html", {"form": form})


@workspace_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    invitation = selectors.invitation_or_404(actor, pk)
    _require(actor, "members.manage", "Only owners and admins resend invitations.")
    try:
        services.invitation_resend(actor=actor, invitation=invitation, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    except MAIL_ERRORS as exc:
        messages.error(request, f"The email could not be sent ({exc}); the old link still works.")
    else:
        messages.success(request, f"A new link was sent to {invitation.email}.")
    return redirect("accounts:members")


@workspace_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    invitation = selectors.invitation_or_404(actor, pk)
    _require(actor, "members.manage", "Only owners and admins revoke invitations.")
    try:
        services.invitation_revoke(actor=actor, invitation=invitation, request=request)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"The invitation of {invitation.email} was withdrawn; its link no longer works.")
    return redirect("accounts:members")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation email. Public: the token is the permission."""
    from allauth.account.adapter import get_adapter

    from rapport.accounts.models import User

    invitation = services.invitation_for_token(token)
    user = request.user if request.user.is_authenticated else None
    problem = services.invitation_problem(invitation, user)
    if problem is None and request.method == "POST":
        if user is None:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
        try:
            membership = services.invitation_accept(invitation=invitation, user=user, request=request)
        except services.InvitationError as exc:
            problem = str(exc)
        else:
            request.session.pop(services.INVITATION_SESSION_KEY, None)
            request.session[SESSION_KEY] = membership.workspace_id
            messages.success(request, f"Welcome to {membership.workspace.name}.")
            return redirect("core:home")
    context = {"invitation": invitation, "problem": problem, "account_exists": False}
    if problem is None and user is None:
        # Remember the link for after signup or login; allauth treats the stashed address as verified.
        request.session[services.INVITATION_SESSION_KEY] = token
        get_adapter(request).stash_verified_email(request, invitation.email)
        context["account_exists"] = User.objects.filter(email__iexact=invitation.email).exists()
        context["login_url"] = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
    status = 404 if invitation is None else 200
    return render(request, "accounts/invitation_accept.html", context, status=status)


# --- Teams -------------------------------------------------------------------------------------


@workspace_required
def team_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "teams.manage", "Only owners and admins create teams.")
    form = TeamForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                actor=actor, name=form.cleaned_data["name"], manager=form.cleaned_data["manager"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("accounts:members")
    return render(request, "accounts/team_form.html", {"form": form, "team": None})


@workspace_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    team = selectors.team_or_404(actor, pk)
    _require(actor, "teams.manage", "Only owners and admins change teams.")
    form = TeamForm(request.POST or None, actor=actor, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(
                actor=actor,
                team=team,
                name=form.cleaned_data["name"],
                manager=form.cleaned_data["manager"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect("accounts:members")
    team_members = selectors.members(request.actor).filter(team=team)
    entries = list(history_for(team)[:50])
    context = {"form": form, "team": team, "team_members": team_members, "history": describe_changes(team, entries)}
    return render(request, "accounts/team_form.html", context)


@workspace_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    team = selectors.team_or_404(actor, pk)
    _require(actor, "teams.manage", "Only owners and admins delete teams.")
    try:
        services.team_delete(actor=actor, team=team)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("accounts:team_edit", pk=team.pk)
    messages.success(request, f"Team “{team.name}” moved to the recycle bin.")
    return redirect("accounts:members")


# --- Workspace settings ------------------------------------------------------------------------


@workspace_required
def workspace_settings(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require(actor, "workspace.manage", "Only owners and admins change workspace settings.")
    workspace = actor.workspace
    form = WorkspaceSettingsForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.workspace_update(
                actor=actor, workspace=workspace, data=form.cleaned_data, request=request
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Workspace settings saved." if changes else "Nothing to change.")
            return redirect("accounts:workspace_settings")
    return render(request, "accounts/workspace_settings.html", {"form": form})


# --- The signed-in person's profile ---------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        changed = [name for name, value in form.cleaned_data.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, form.cleaned_data[name])
        if changed:
            user.save(update_fields=changed)
        messages.success(request, "Profile saved." if changed else "Nothing to change.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
