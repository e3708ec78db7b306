"""Admin screens for custom fields (owners and admins: capability ``workspace.manage``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.models import ConflictError
from rapport.core.permissions import get_visible_or_404
from rapport.customfields import services
from rapport.customfields.forms import ChangeTypeForm, DefinitionForm
from rapport.customfields.models import CustomFieldDefinition
from rapport.customfields.registry import get_record_type, record_types
from rapport.customfields.selectors import definitions_for


def _require_manager(request: HttpRequest) -> None:
    if not request.actor.can("workspace.manage"):
        raise PermissionDenied("Only owners and admins manage custom fields.")


def _definition(request: HttpRequest, pk: int) -> CustomFieldDefinition:
    _require_manager(request)
    return get_visible_or_404(CustomFieldDefinition, request.actor, pk, for_change=True)


def _form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (fields the form lacks become form-wide errors)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        shown = field in form.fields and not form.fields[field].widget.is_hidden
        form.add_error(field if shown else None, errors)


@workspace_required
def field_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    groups = [{"record_type": rt, "definitions": definitions_for(rt.label)} for rt in record_types()]
    return render(request, "customfields/list.html", {"groups": groups})


@workspace_required
def field_create(request: HttpRequest, record_type: str) -> HttpResponse:
    _require_manager(request)
    registered = get_record_type(record_type)
    if registered is None:
        raise Http404("This record type does not take custom fields.")
    form = DefinitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("choices_text", "currency")}
        try:
            definition = services.definition_create(actor=request.actor, record_type=registered.label, data=data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Field “{definition.label}” added to {registered.verbose_name.lower()}s.")
            return redirect("customfields:list")
    return render(request, "customfields/form.html", {"form": form, "record_type": registered, "definition": None})


@workspace_required
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    definition = _definition(request, pk)
    form = DefinitionForm(request.POST or None, instance=CustomFieldDefinition.objects.get(pk=definition.pk))
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in services.EDITABLE if k in form.cleaned_data}
        try:
            version = int(request.POST.get("version", definition.version))
            services.definition_update(actor=request.actor, definition=definition, data=data, expected_version=version)
        except (ValueError, TypeError):
            form.add_error(None, "The form is damaged; reload the page.")
        except ConflictError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Field “{definition.label}” saved.")
            return redirect("customfields:list")
    context = {"form": form, "record_type": get_record_type(definition.record_type), "definition": definition}
    return render(request, "customfields/form.html", context)


@workspace_required
@require_POST
def field_delete(request: HttpRequest, pk: int) -> HttpResponse:
    definition = _definition(request, pk)
    services.definition_delete(actor=request.actor, definition=definition)
    messages.success(
        request, f"Field “{definition.label}” moved to the recycle bin. Records keep their values until it is purged."
    )
    return redirect("customfields:list")


@workspace_required
@require_POST
def field_move(request: HttpRequest, pk: int) -> HttpResponse:
    definition = _definition(request, pk)
    try:
        services.definition_move(actor=request.actor, definition=definition, direction=request.POST.get("direction"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("customfields:list")


@workspace_required
def field_change_type(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: choose the new type. POST: preview the conversion; POST with confirm: apply it."""
    definition = _definition(request, pk)
    form = ChangeTypeForm(request.POST or None, definition=definition)
    report = None
    if request.method == "POST" and form.is_valid():
        new_type, options = form.cleaned_data["field_type"], form.cleaned_data.get("options") or {}
        try:
            if form.cleaned_data.get("confirm"):
                services.definition_change_type(
                    actor=request.actor,
                    definition=definition,
                    new_type=new_type,
                    new_options=options,
                    clear_failures=form.cleaned_data.get("clear_failures", False),
                    expected_version=int(request.POST.get("version", definition.version)),
                )
                messages.success(request, f"“{definition.label}” is now a {definition.get_field_type_display()} field.")
                return redirect("customfields:list")
            report = services.definition_preview_type(
                actor=request.actor, definition=definition, new_type=new_type, new_options=options
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
        except (ValueError, TypeError):
            form.add_error(None, "The form is damaged; reload the page.")
        except ValidationError as exc:
            _form_errors(form, exc)
            if form.cleaned_data.get("confirm"):  # show the report again next to the reason
                report = services.definition_preview_type(
                    actor=request.actor, definition=definition, new_type=new_type, new_options=options
                )
    context = {"form": form, "definition": definition, "report": report}
    return render(request, "customfields/change_type.html", context)
