"""The workspace's tags: list, create, recolour or rename (admins), delete (admins)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.models import ConflictError
from rapport.core.permissions import get_visible_or_404
from rapport.tags import services
from rapport.tags.models import Tag, TagColour


class TagForm(forms.Form):
    name = forms.CharField(max_length=50)
    colour = forms.ChoiceField(choices=TagColour.choices, initial=TagColour.GREY)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


@workspace_required
def tag_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.tag_create(actor=actor, name=form.cleaned_data["name"], colour=form.cleaned_data["colour"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Tag “{tag}” created.")
            return redirect("contacts:tag_list")
    tags = Tag.objects.annotate(uses=Count("items", filter=Q(items__workspace_id=actor.workspace.pk))).order_by("name")
    status = 400 if form.errors else 200
    return render(
        request,
        "contacts/tag_list.html",
        {"tags": tags, "form": form, "colours": TagColour.choices, "can_manage": actor.is_admin},
        status=status,
    )


@workspace_required
@require_POST
def tag_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    tag = get_visible_or_404(Tag, actor, pk, for_change=True)
    if not actor.is_admin:
        raise PermissionDenied("Only owners and admins rename, recolour or delete tags.")
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect("contacts:tag_list")
    try:
        services.tag_update(
            actor=actor,
            tag=tag,
            data={"name": form.cleaned_data["name"], "colour": form.cleaned_data["colour"]},
            expected_version=form.cleaned_data.get("version"),
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"Tag “{tag}” saved.")
    return redirect("contacts:tag_list")


@workspace_required
@require_POST
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    tag = get_visible_or_404(Tag, actor, pk, for_change=True)
    if not actor.is_admin:
        raise PermissionDenied("Only owners and admins rename, recolour or delete tags.")
    services.tag_delete(actor=actor, tag=tag)
    messages.success(request, f"Tag “{tag}” moved to the recycle bin.")
    return redirect("contacts:tag_list")
