"""Quote and order pages: lists, record pages, edits, lines, status changes, print and PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.history import describe_changes, history_for
from rapport.core.models import ConflictError
from rapport.core.permissions import can_change, get_visible_or_404
from rapport.sales import selectors
from rapport.sales.forms import LineForm, OrderForm, QuoteForm
from rapport.sales.models import Order, OrderLine, OrderStatus, Quote, QuoteLine, QuoteStatus
from rapport.sales.pdf import quote_pdf
from rapport.sales.services import orders as order_services
from rapport.sales.services import quotes as quote_services
from rapport.sales.views.common import posted_version, run_action
from rapport.sales.views.deals import _form_errors
from rapport.sales.views.paging import encode_cursor, keyset

PAGE_SIZE = 50


def _page(request: HttpRequest, queryset, field: str = "created_at"):
    """One keyset page (newest first) and the query string of the next one."""
    rows = list(keyset(queryset, "-created", request.GET.get("after", ""))[: PAGE_SIZE + 1])
    next_query = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        params = request.GET.copy()
        params["after"] = encode_cursor(getattr(rows[-1], field), rows[-1].pk)
        next_query = params.urlencode()
    return rows, next_query


# --- Quotes -------------------------------------------------------------------------------------------


@workspace_required
def quote_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    queryset = selectors.visible_quotes(actor)
    status = request.GET.get("status", "")
    if status in QuoteStatus.values:
        queryset = queryset.filter(status=status)
    quotes, next_query = _page(request, queryset)
    return render(
        request,
        "sales/quote_list.html",
        {"quotes": quotes, "next_query": next_query, "status": status, "status_choices": QuoteStatus.choices},
    )


def _quote(actor, pk: int, *, for_change: bool = False) -> Quote:
    return get_visible_or_404(Quote, actor, pk, for_change=for_change)


@workspace_required
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    quote = get_object_or_404(
        selectors.visible_quotes(actor).select_related("contact", "deal__company").prefetch_related("lines"), pk=pk
    )
    editable = can_change(actor, quote)
    context = {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "can_change": editable,
        "order": Order.objects.filter(quote=quote).first(),
        "history": describe_changes(quote, list(history_for(quote)[:50])),
        "expired": bool(quote.valid_until and quote.valid_until < timezone.localdate()),
    }
    if editable and quote.is_editable:
        context["line_form"] = LineForm(actor=actor, initial={"version": quote.version}, prefix="line")
    return render(request, "sales/quote_detail.html", context)


@workspace_required
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    quote = _quote(actor, pk, for_change=True)
    initial = {
        "title": quote.title,
        "contact": quote.contact_id,
        "issued_on": quote.issued_on,
        "valid_until": quote.valid_until,
        "notes": quote.notes,
        "version": quote.version,
    }
    form = QuoteForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            quote_services.quote_update(
                actor=actor,
                quote=quote,
                data=form.data_for("title", "contact", "issued_on", "valid_until", "notes"),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Quote {quote.reference} saved.")
            return redirect("sales:quote_detail", pk=quote.pk)
    return render(
        request,
        "sales/document_form.html",
        {
            "form": form,
            "title": f"Edit quote {quote.reference}",
            "back_url": reverse("sales:quote_detail", args=[quote.pk]),
        },
    )


@workspace_required
@require_POST
def quote_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    quote = _quote(actor, pk, for_change=True)
    form = LineForm(request.POST, actor=actor, prefix="line")
    if not form.is_valid():
        messages.error(request, "The line was not added: " + _form_errors(form))
        return redirect("sales:quote_detail", pk=quote.pk)
    return run_action(
        request,
        lambda: quote_services.quote_line_add(
            actor=actor, quote=quote, data=form.service_data(), expected_version=form.cleaned_data["version"]
        ),
        success="Line added.",
        back="sales:quote_detail",
        pk=quote.pk,
    )


@workspace_required
@require_POST
def quote_line_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    actor = request.actor
    quote = _quote(actor, pk, for_change=True)
    line = get_object_or_404(QuoteLine.objects.filter(quote=quote), pk=line_id)
    return run_action(
        request,
        lambda: quote_services.quote_line_remove(
            actor=actor, quote=quote, line=line, expected_version=posted_version(request)
        ),
        success="Line removed.",
        back="sales:quote_detail",
        pk=quote.pk,
    )


def _quote_action(name: str, success: str):
    @workspace_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        actor = request.actor
        quote = _quote(actor, pk, for_change=True)
        service = getattr(quote_services, name)
        return run_action(
            request,
            lambda: service(actor=actor, quote=quote, expected_version=posted_version(request)),
            success=success.format(quote=quote),
            back="sales:quote_detail",
            pk=quote.pk,
        )

    view.__name__ = name
    return view


quote_send = _quote_action("quote_send", "Quote {quote.reference} marked as sent.")
quote_accept = _quote_action(
    "quote_accept", "Quote {quote.reference} accepted: its order was created and the deal is won."
)
quote_decline = _quote_action("quote_decline", "Quote {quote.reference} declined.")


@workspace_required
@require_POST
def quote_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    quote = _quote(actor, pk, for_change=True)
    deal_id = quote.deal_id
    try:
        quote_services.quote_delete(actor=actor, quote=quote, expected_version=posted_version(request))
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("sales:quote_detail", pk=quote.pk)
    messages.success(request, f"Quote {quote.reference} moved to the recycle bin.")
    return redirect("sales:deal_detail", pk=deal_id)


def _printable(request: HttpRequest, pk: int) -> Quote:
    return get_object_or_404(
        selectors.visible_quotes(request.actor).select_related("contact", "deal__company").prefetch_related("lines"),
        pk=pk,
    )


@workspace_required
def quote_print(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _printable(request, pk)
    return render(
        request,
        "sales/quote_print.html",
        {"quote": quote, "lines": list(quote.lines.all()), "workspace": request.actor.workspace},
    )


@workspace_required
def quote_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _printable(request, pk)
    response = HttpResponse(quote_pdf(quote, workspace=request.actor.workspace), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.reference}.pdf"'
    return response


# --- Orders -------------------------------------------------------------------------------------------


@workspace_required
def order_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    queryset = selectors.visible_orders(actor).select_related("company", "contact")
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        queryset = queryset.filter(status=status)
    orders, next_query = _page(request, queryset)
    return render(
        request,
        "sales/order_list.html",
        {
            "orders": orders,
            "next_query": next_query,
            "status": status,
            "status_choices": OrderStatus.choices,
            "can_create": actor.can("records.create"),
        },
    )


@workspace_required
def order_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not actor.can("records.create"):
        raise PermissionDenied("Your role cannot create orders.")
    initial = {
        "ordered_on": timezone.localdate(),
        "company": request.GET.get("company"),
        "contact": request.GET.get("contact"),
    }
    form = OrderForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            order = order_services.order_create(actor=actor, data=form.service_data(), lines=[])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Order {order.reference} created: add its lines.")
            return redirect("sales:order_detail", pk=order.pk)
    return render(
        request,
        "sales/document_form.html",
        {"form": form, "title": "New order", "back_url": reverse("sales:order_list")},
    )


def _order(actor, pk: int, *, for_change: bool = False) -> Order:
    return get_visible_or_404(Order, actor, pk, for_change=for_change)


@workspace_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    order = get_object_or_404(
        selectors.visible_orders(actor).select_related("company", "contact", "quote").prefetch_related("lines"), pk=pk
    )
    editable = can_change(actor, order)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "can_change": editable,
        "history": describe_changes(order, list(history_for(order)[:50])),
    }
    if editable and order.is_editable:
        context["line_form"] = LineForm(actor=actor, initial={"version": order.version}, prefix="line")
    return render(request, "sales/order_detail.html", context)


@workspace_required
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    order = _order(actor, pk, for_change=True)
    initial = {
        "ordered_on": order.ordered_on,
        "company": order.company_id,
        "contact": order.contact_id,
        "status": order.status,
        "amount_paid": order.amount_paid,
        "external_ref": order.external_ref,
        "notes": order.notes,
        "version": order.version,
    }
    form = OrderForm(request.POST or None, actor=actor, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            order_services.order_update(
                actor=actor, order=order, data=form.service_data(), expected_version=form.cleaned_data["version"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Order {order.reference} saved.")
            return redirect("sales:order_detail", pk=order.pk)
    return render(
        request,
        "sales/document_form.html",
        {
            "form": form,
            "title": f"Edit order {order.reference}",
            "back_url": reverse("sales:order_detail", args=[order.pk]),
        },
    )


@workspace_required
@require_POST
def order_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    order = _order(actor, pk, for_change=True)
    form = LineForm(request.POST, actor=actor, prefix="line")
    if not form.is_valid():
        messages.error(request, "The line was not added: " + _form_errors(form))
        return redirect("sales:order_detail", pk=order.pk)
    return run_action(
        request,
        lambda: order_services.order_line_add(
            actor=actor, order=order, data=form.service_data(), expected_version=form.cleaned_data["version"]
        ),
        success="Line added.",
        back="sales:order_detail",
        pk=order.pk,
    )


@workspace_required
@require_POST
def order_line_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    actor = request.actor
    order = _order(actor, pk, for_change=True)
    line = get_object_or_404(OrderLine.objects.filter(order=order), pk=line_id)
    return run_action(
        request,
        lambda: order_services.order_line_remove(
            actor=actor, order=order, line=line, expected_version=posted_version(request)
        ),
        success="Line removed.",
        back="sales:order_detail",
        pk=order.pk,
    )
