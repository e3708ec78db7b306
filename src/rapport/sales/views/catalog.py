"""The product catalogue pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.core.decorators import workspace_required
from rapport.core.history import describe_changes, history_for
from rapport.core.models import ConflictError
from rapport.sales import selectors
from rapport.sales.forms import ProductForm
from rapport.sales.services import products as product_services
from rapport.sales.views.common import posted_version
from rapport.sales.views.paging import encode_cursor, keyset

PAGE_SIZE = 100


def _require_manage(actor) -> None:
    if not actor.can("products.manage"):
        raise PermissionDenied("Only owners, admins and managers change the product catalogue.")


@workspace_required
def product_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    products = selectors.products_for(actor)
    show = request.GET.get("show", "active")
    if show == "active":
        products = products.filter(active=True)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        products = products.filter(name__icontains=query) | products.filter(sku__iexact=query)
    rows = list(keyset(products, "name", request.GET.get("after", ""))[: PAGE_SIZE + 1])
    next_query = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        params = request.GET.copy()
        params["after"] = encode_cursor(rows[-1].name, rows[-1].pk)
        next_query = params.urlencode()
    return render(
        request,
        "sales/product_list.html",
        {
            "products": rows,
            "next_query": next_query,
            "show": show,
            "q": query,
            "can_manage": actor.can("products.manage"),
        },
    )


def _prices_text(product) -> str:
    return "\n".join(f"{p.currency} {p.unit_price}" for p in product.prices.all())


@workspace_required
def product_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    _require_manage(actor)
    form = ProductForm(request.POST or None, initial={"active": True, "tax_rate": 0})
    if request.method == "POST" and form.is_valid():
        data = form.data_for("sku", "name", "description", "tax_rate", "active")
        try:
            product = product_services.product_create(actor=actor, data=data, prices=form.cleaned_data["prices"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Product “{product.name}” created.")
            return redirect("sales:product_list")
    return render(request, "sales/product_form.html", {"form": form, "product": None})


@workspace_required
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    product = get_object_or_404(selectors.products_for(actor), pk=pk)
    can_manage = actor.can("products.manage")
    if request.method == "POST" and not can_manage:
        _require_manage(actor)
    initial = {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "tax_rate": product.tax_rate,
        "active": product.active,
        "prices": _prices_text(product),
        "version": product.version,
    }
    form = ProductForm(request.POST or None, initial=initial)
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            product_services.product_update(
                actor=actor,
                product=product,
                data=form.data_for("sku", "name", "description", "tax_rate", "active"),
                prices=form.cleaned_data["prices"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Product “{product.name}” saved.")
            return redirect("sales:product_list")
    history = describe_changes(product, list(history_for(product)[:50]))
    return render(
        request,
        "sales/product_form.html",
        {"form": form, "product": product, "history": history, "can_manage": can_manage},
    )


@workspace_required
@require_POST
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    product = get_object_or_404(selectors.products_for(actor), pk=pk)
    _require_manage(actor)
    try:
        product_services.product_delete(actor=actor, product=product, expected_version=posted_version(request))
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("sales:product_edit", pk=product.pk)
    messages.success(request, f"Product “{product.name}” moved to the recycle bin.")
    return redirect("sales:product_list")
