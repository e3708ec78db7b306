"""The lead inbox of each rep, lead status changes, assignment and the three-click Convert."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rapport.contacts.models import Contact, LeadStatus
from rapport.core.decorators import workspace_required
from rapport.core.models import ConflictError
from rapport.core.permissions import get_visible_or_404, visible
from rapport.sales import selectors
from rapport.sales.forms import ServiceForm, members
from rapport.sales.money import CURRENCY_CHOICES
from rapport.sales.services import leads as lead_services
from rapport.sales.views.common import error_text, posted_version
from rapport.sales.views.paging import encode_cursor, keyset

PAGE_SIZE = 50
NEW_COMPANY = "new"
NO_COMPANY = "none"


@workspace_required
def lead_inbox(request: HttpRequest) -> HttpResponse:
    """My leads by default; managers and admins may look at anyone's, or the unassigned ones."""
    actor = request.actor
    leads = visible(Contact.objects.all(), actor).filter(lifecycle_stage__in=lead_services.LEAD_STAGES)
    owner = request.GET.get("owner", "me")
    if owner == "me":
        leads = leads.filter(owner=actor.user)
    elif owner == "unassigned":
        leads = leads.filter(owner__isnull=True)
    elif owner.isdigit():
        leads = leads.filter(owner_id=int(owner))
    status = request.GET.get("status", "")
    if status in LeadStatus.values:
        leads = leads.filter(lead_status=status)
    elif status == "open":
        leads = leads.filter(~Q(lead_status=LeadStatus.UNQUALIFIED))
    rows = list(
        keyset(leads.select_related("company", "owner"), "-created", request.GET.get("after", ""))[: PAGE_SIZE + 1]
    )
    next_query = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        params = request.GET.copy()
        params["after"] = encode_cursor(rows[-1].created_at, rows[-1].pk)
        next_query = params.urlencode()
    context = {
        "leads": rows,
        "next_query": next_query,
        "owner": owner,
        "status": status,
        "status_choices": LeadStatus.choices,
        "people": list(members(actor)),
        "can_configure": actor.can("sales.configure"),
    }
    return render(request, "sales/lead_inbox.html", context)


@workspace_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    contact = get_visible_or_404(Contact, actor, pk, for_change=True)
    try:
        lead_services.lead_set_status(
            actor=actor,
            contact=contact,
            status=request.POST.get("lead_status", ""),
            expected_version=posted_version(request),
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, f"{contact}: {contact.get_lead_status_display()}.")
    return redirect(request.POST.get("next") if _safe(request) else "sales:lead_inbox")


def _safe(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})


@workspace_required
@require_POST
def leads_assign(request: HttpRequest) -> HttpResponse:
    """Run the assignment rules over the unassigned leads (new leads get them automatically)."""
    actor = request.actor
    if not actor.can("sales.configure"):
        raise PermissionDenied("Only owners and admins run the assignment rules.")
    assigned = 0
    for contact in Contact.objects.filter(owner__isnull=True, lifecycle_stage__in=lead_services.LEAD_STAGES)[:500]:
        if lead_services.assign_lead(contact=contact):
            assigned += 1
    messages.success(request, f"{assigned} lead{'s' if assigned != 1 else ''} assigned by the rules.")
    return redirect(reverse("sales:lead_inbox") + "?owner=unassigned")


class ConvertForm(ServiceForm):
    deal_name = forms.CharField(max_length=200, label="Deal name")
    pipeline = forms.ModelChoiceField(queryset=None, empty_label=None)
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    company_choice = forms.ChoiceField(label="Company", widget=forms.RadioSelect)
    new_company_name = forms.CharField(max_length=200, required=False, label="New company name")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, actor, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = selectors.pipelines_for(actor)
        self.fields["currency"].initial = actor.workspace.default_currency
        self.candidates = {str(c.pk): c for c, _reason in candidates}
        self.fields["company_choice"].choices = [
            *[(str(c.pk), f"Link to {c.name} (matches {reason})") for c, reason in candidates],
            (NEW_COMPANY, "Create a new company"),
            (NO_COMPANY, "No company"),
        ]

    def clean(self):
        data = super().clean()
        if data.get("company_choice") == NEW_COMPANY and not data.get("new_company_name", "").strip():
            self.add_error("new_company_name", "Name the new company.")
        return data


@workspace_required
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    contact = get_visible_or_404(Contact, actor, pk, for_change=True)
    if not lead_services.is_lead(contact):
        messages.info(request, f"{contact} is not a lead any more.")
        return redirect("contacts:contact_detail", pk=contact.pk)
    if not selectors.pipelines_for(actor).exists():
        messages.error(request, "Set up a sales pipeline first.")
        return redirect("sales:board")
    guess = request.POST.get("new_company_name", "")
    candidates = lead_services.company_candidates(actor, contact, guess)
    company_name = contact.company.name if contact.company_id else ""
    initial = {
        "deal_name": f"{company_name or contact.full_name} deal",
        "pipeline": selectors.pipelines_for(actor).first(),
        "company_choice": str(candidates[0][0].pk) if candidates else NEW_COMPANY,
        "new_company_name": "" if candidates else lead_services.email_domain(contact).split(".")[0].capitalize(),
        "version": contact.version,
    }
    form = ConvertForm(request.POST or None, actor=actor, candidates=candidates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choice = data["company_choice"]
        try:
            deal = lead_services.lead_convert(
                actor=actor,
                contact=contact,
                deal_name=data["deal_name"],
                pipeline=data["pipeline"],
                amount=data.get("amount"),
                currency=data["currency"],
                company=form.candidates.get(choice),
                new_company_name=data["new_company_name"] if choice == NEW_COMPANY else "",
                expected_version=data.get("version"),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{contact} converted: deal “{deal}” created.")
            return redirect("sales:deal_detail", pk=deal.pk)
    return render(request, "sales/lead_convert.html", {"contact": contact, "form": form})
