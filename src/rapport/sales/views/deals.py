"""Deal pages: create, the record page, edit, win / lose / reopen, lines, contacts, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.history import describe_changes, history_for
from rapport.core.models import ConflictError
from rapport.core.permissions import can_change, visible
from rapport.core.registry import registry
from rapport.sales import selectors
from rapport.sales.forms import DealContactForm, DealForm, LineForm, LostForm, WonForm
from rapport.sales.models import Deal, DealContact, DealStageChange, LineItem, Product
from rapport.sales.services import customers as customer_services
from rapport.sales.services import deals as deal_services
from rapport.sales.services import lines as line_services
from rapport.sales.services import quotes as quote_services
from rapport.sales.views.common import error_text, posted_version, run_action

HISTORY_SHOWN = 50


def _deal_page_queryset(actor):
    return visible(Deal.objects.all(), actor).select_related("owner", "stage", "pipeline", "company", "lost_reason")


@workspace_required
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The deal's record page. A fixed number of queries whatever the deal holds."""
    actor = request.actor
    deal = get_object_or_404(
        _deal_page_queryset(actor).prefetch_related(
            "line_items",
            Prefetch("deal_contacts", queryset=DealContact.objects.select_related("contact")),
            "tagged_items__tag",
        ),
        pk=pk,
    )
    stages = selectors.stages_for(actor, deal.pipeline)
    reached = {s.position for s in stages if s.position <= deal.stage.position}
    changes = list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "actor")
        .order_by("-at", "-id")[:50]
    )
    editable = can_change(actor, deal)
    context = {
        "deal": deal,
        "stages": stages,
        "reached": reached,
        "lines": list(deal.line_items.all()),
        "contacts": list(deal.deal_contacts.all()),
        "tags": [i.tag for i in deal.tagged_items.all() if i.tag.deleted_at is None],
        "quotes": list(selectors.visible_quotes(actor).filter(deal=deal).order_by("-number")[:20]),
        "orders": list(selectors.visible_orders(actor).filter(deal=deal).order_by("-number")[:20]),
        "changes": changes,
        "history": describe_changes(deal, list(history_for(deal)[:HISTORY_SHOWN])),
        "can_change": editable,
        "custom": _custom_display(deal),
        # panels other apps register for deals (the activities timeline...), as on contact pages
        "panels": [{"panel": p, "context": p.context(actor, deal)} for p in registry.panels_for("sales.deal")],
    }
    if editable:
        context.update(
            line_form=LineForm(actor=actor, initial={"version": deal.version}, prefix="line"),
            contact_form=DealContactForm(actor=actor, deal=deal, initial={"version": deal.version}, prefix="contact"),
            won_form=WonForm(initial={"version": deal.version}, prefix="won"),
        )
    return render(request, "sales/deal_detail.html", context)


def _custom_display(deal: Deal) -> list[dict]:
    from rapport.customfields.selectors import definitions_for
    from rapport.customfields.values import display_value

    return [
        {"label": d.label, "value": display_value(d, (deal.custom or {}).get(d.key))}
        for d in definitions_for("sales.deal")
    ]


@workspace_required
def deal_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not actor.can("records.create"):
        raise PermissionDenied("Your role cannot create deals.")
    pipeline = request.GET.get("pipeline") or selectors.pipelines_for(actor).values_list("pk", flat=True).first()
    initial = {"pipeline": pipeline, "company": request.GET.get("company"), "owner": actor.user}
    form = DealForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        custom = form.custom_values()
        if not form.errors:
            try:
                deal = deal_services.deal_create(
                    actor=actor, data=form.service_data(), custom=custom, tags=form.tag_names()
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"Deal “{deal}” created.")
                return redirect("sales:deal_detail", pk=deal.pk)
    return render(request, "sales/deal_form.html", {"form": form, "deal": None})


@workspace_required
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    form = DealForm(request.POST or None, actor=actor, deal=deal)
    if request.method == "POST" and form.is_valid():
        custom = form.custom_values()
        if not form.errors:
            try:
                deal_services.deal_update(
                    actor=actor,
                    deal=deal,
                    data=form.service_data(),
                    expected_version=form.cleaned_data["version"],
                    custom=custom,
                    tags=form.tag_names(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Deal “{deal}” saved.")
                return redirect("sales:deal_detail", pk=deal.pk)
    return render(request, "sales/deal_form.html", {"form": form, "deal": deal})


@workspace_required
@require_POST
def deal_won(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    form = WonForm(request.POST, prefix="won")
    create_order = form.is_valid() and form.cleaned_data["create_order"]
    return run_action(
        request,
        lambda: deal_services.deal_mark_won(
            actor=actor, deal=deal, expected_version=posted_version_prefixed(request, "won"), create_order=create_order
        ),
        success=f"“{deal}” won." + (" An order was created." if create_order else ""),
        back="sales:deal_detail",
        pk=deal.pk,
    )


def posted_version_prefixed(request: HttpRequest, prefix: str) -> int | None:
    raw = request.POST.get(f"{prefix}-version") or request.POST.get("version")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@workspace_required
def deal_lost(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    form = LostForm(request.POST or None, actor=actor, prefix="lost", initial={"version": deal.version})
    if request.method == "POST" and form.is_valid():
        try:
            deal_services.deal_mark_lost(
                actor=actor,
                deal=deal,
                lost_reason=form.cleaned_data["lost_reason"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"“{deal}” marked as lost.")
            return redirect("sales:deal_detail", pk=deal.pk)
    return render(request, "sales/deal_lost.html", {"deal": deal, "form": form})


@workspace_required
@require_POST
def deal_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    return run_action(
        request,
        lambda: deal_services.deal_reopen(actor=actor, deal=deal, expected_version=posted_version(request)),
        success=f"“{deal}” is open again.",
        back="sales:deal_detail",
        pk=deal.pk,
    )


@workspace_required
@require_POST
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    try:
        deal_services.deal_delete(actor=actor, deal=deal, expected_version=posted_version(request))
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("sales:deal_detail", pk=deal.pk)
    messages.success(request, f"“{deal}” moved to the recycle bin.")
    return redirect("sales:board")


@workspace_required
@require_POST
def deal_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    form = LineForm(request.POST, actor=actor, prefix="line")
    if not form.is_valid():
        messages.error(request, "The line was not added: " + _form_errors(form))
        return redirect("sales:deal_detail", pk=deal.pk)
    return run_action(
        request,
        lambda: line_services.deal_line_add(
            actor=actor, deal=deal, data=form.service_data(), expected_version=form.cleaned_data["version"]
        ),
        success="Line added.",
        back="sales:deal_detail",
        pk=deal.pk,
    )


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label or name}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    )


@workspace_required
def deal_line_edit(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    """Change a line item (product, quantity, price, discount, tax); the deal amount follows."""
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    line = get_object_or_404(LineItem.objects.filter(deal=deal).select_related("product"), pk=line_id)
    initial = {
        "product": line.product_id,
        "name": line.name,
        "quantity": line.quantity.normalize(),
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent.normalize(),
        "tax_rate": line.tax_rate.normalize(),
        "version": deal.version,
    }
    form = LineForm(request.POST or None, initial=initial, actor=actor, prefix="line")
    if line.product_id:  # an inactive product stays choosable on the lines that already have it
        form.fields["product"].queryset = form.fields["product"].queryset | Product.objects.filter(pk=line.product_id)
    if request.method == "POST" and form.is_valid():
        data = form.data_for("name", "quantity", "unit_price", "discount_percent", "tax_rate")
        product = form.cleaned_data.get("product")
        if product is not None:
            data["product"] = product
            if not data.get("name"):
                data.pop("name")
            if data.get("unit_price") is None:
                data.pop("unit_price")
        else:
            data["product"] = None
        try:
            line_services.deal_line_update(
                actor=actor, deal=deal, line=line, data=data, expected_version=form.cleaned_data["version"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, f"{exc} Reload the deal and edit the line again.")
        else:
            messages.success(request, f"Line “{line.name}” saved.")
            return redirect("sales:deal_detail", pk=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/line_form.html", {"deal": deal, "line": line, "form": form}, status=status)


@workspace_required
@require_POST
def deal_line_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    line = get_object_or_404(LineItem.objects.filter(deal=deal), pk=line_id)
    return run_action(
        request,
        lambda: line_services.deal_line_remove(
            actor=actor, deal=deal, line=line, expected_version=posted_version(request)
        ),
        success="Line removed.",
        back="sales:deal_detail",
        pk=deal.pk,
    )


@workspace_required
@require_POST
def deal_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    form = DealContactForm(request.POST, actor=actor, prefix="contact")
    if not form.is_valid():
        messages.error(request, "The contact was not added: " + _form_errors(form))
        return redirect("sales:deal_detail", pk=deal.pk)
    return run_action(
        request,
        lambda: customer_services.deal_contact_add(
            actor=actor,
            deal=deal,
            contact=form.cleaned_data["contact"],
            role=form.cleaned_data["role"],
            is_primary=form.cleaned_data["is_primary"],
            expected_version=form.cleaned_data["version"],
        ),
        success="Contact added to the deal.",
        back="sales:deal_detail",
        pk=deal.pk,
    )


@workspace_required
@require_POST
def deal_contact_remove(request: HttpRequest, pk: int, row_id: int) -> HttpResponse:
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    row = get_object_or_404(DealContact.objects.filter(deal=deal).select_related("contact"), pk=row_id)
    return run_action(
        request,
        lambda: customer_services.deal_contact_remove(
            actor=actor, deal=deal, row=row, expected_version=posted_version(request)
        ),
        success=f"{row.contact} removed from the deal.",
        back="sales:deal_detail",
        pk=deal.pk,
    )


@workspace_required
@require_POST
def quote_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft quote from the deal's lines, then its page to finish it."""
    actor = request.actor
    deal = selectors.deal_for(actor, pk, for_change=True)
    try:
        quote = quote_services.quote_create(actor=actor, deal=deal)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("sales:deal_detail", pk=deal.pk)
    messages.success(request, f"Quote {quote.reference} created as a draft.")
    return redirect("sales:quote_detail", pk=quote.pk)
