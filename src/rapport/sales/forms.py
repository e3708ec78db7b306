"""HTML forms of the sales pages. They parse and offer choices; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from rapport.contacts.models import Company, Contact, ContactRoleKind
from rapport.core.models import Membership, Team
from rapport.core.permissions import Actor, visible
from rapport.sales.models import (
    Deal,
    DealSource,
    ForecastCategory,
    LostReason,
    OrderStatus,
    PeriodKind,
    Pipeline,
    Product,
    RuleField,
    Stage,
)
from rapport.sales.money import CURRENCY_CHOICES
from rapport.sales.pickers import RecordPicker


def _none(model: type[models.Model]) -> models.QuerySet:
    """An empty queryset built without the scoped manager: forms are declared at import time,
    which may happen inside a request whose workspace is not known yet."""
    return models.QuerySet(model=model).none()


class LimitedChoiceIterator(forms.models.ModelChoiceIterator):
    """Offers at most ``field.limit`` options (plus the current value); validation still sees them all."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        preferred, limit = self.field.preferred, self.field.limit
        if preferred is None:
            shown = list(self.queryset[:limit])
        else:  # two index-friendly queries instead of sorting the whole table by "preferred first"
            shown = list(self.queryset.filter(preferred)[:limit])
            if len(shown) < limit:
                shown.extend(self.queryset.exclude(preferred)[: limit - len(shown)])
        current = self.field.current_value
        if current and all(str(obj.pk) != str(current) for obj in shown):
            shown.extend(self.queryset.filter(pk=current)[:1])
        for obj in shown:
            yield self.choice(obj)

    def __len__(self) -> int:
        return self.field.limit


class LimitedModelChoiceField(forms.ModelChoiceField):
    """A record picker for large tables (companies, contacts): the first 500 by name."""

    iterator = LimitedChoiceIterator
    limit = 500
    current_value: Any = None
    preferred: models.Q | None = None  # offered first (e.g. the people of the deal's company)


class ServiceForm(forms.Form):
    """A form that can show a service's ValidationError next to the fields it names."""

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.message_dict.items():
            name = field if field in self.fields else None
            for message in errors:
                self.add_error(name, message if name else f"{field.replace('_', ' ')}: {message}")

    def data_for(self, *names: str) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


def members(actor: Actor):
    user_ids = Membership.objects.filter(workspace=actor.workspace, is_active=True).values("user_id")
    return get_user_model().objects.filter(pk__in=user_ids).order_by("full_name", "email")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, min_value=1, **kwargs)


class DealForm(ServiceForm):
    name = forms.CharField(max_length=200)
    pipeline = forms.ModelChoiceField(queryset=_none(Pipeline))
    stage = forms.ModelChoiceField(queryset=_none(Stage), required=False, help_text="Empty: the first stage.")
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    expected_close_date = forms.DateField(required=False, widget=_date_input())
    probability = forms.IntegerField(
        min_value=0, max_value=100, required=False, help_text="Win probability (%). Empty: the stage's default."
    )
    forecast_category = forms.ChoiceField(
        choices=[("", "The stage's category"), *ForecastCategory.choices], required=False
    )
    owner = forms.ModelChoiceField(queryset=None, required=False)
    company = LimitedModelChoiceField(queryset=_none(Company), required=False, widget=RecordPicker("company"))
    source = forms.ChoiceField(choices=[("", "—"), *DealSource.choices], required=False)
    next_step = forms.CharField(max_length=200, required=False)
    tags = forms.CharField(max_length=500, required=False, help_text="Comma-separated; new names create tags.")
    version = VersionField()

    FIELDS = (
        "name",
        "pipeline",
        "stage",
        "amount",
        "currency",
        "expected_close_date",
        "probability",
        "forecast_category",
        "owner",
        "company",
        "source",
        "next_step",
    )

    def __init__(self, *args: Any, actor: Actor, deal: Deal | None = None, **kwargs: Any) -> None:
        if deal is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(deal, name) for name in self.FIELDS},
                "version": deal.version,
            }
        super().__init__(*args, **kwargs)
        workspace = actor.workspace.pk
        self.fields["pipeline"].queryset = Pipeline.objects.filter(workspace_id=workspace)
        self.fields["stage"].queryset = Stage.objects.filter(workspace_id=workspace).select_related("pipeline")
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} / {s.name}"
        self.fields["owner"].queryset = members(actor)
        self.fields["company"].queryset = visible(Company.objects.all(), actor)
        company = self.initial.get("company")
        self.fields["company"].current_value = getattr(company, "pk", company)
        self.fields["currency"].initial = self.initial.get("currency") or actor.workspace.default_currency
        self.deal = deal
        self._add_custom_fields(actor, deal)
        if deal is not None and deal.line_items.exists():
            self.fields["amount"].disabled = True
            self.fields["amount"].help_text = "Follows the line items."

    def _add_custom_fields(self, actor: Actor, deal: Deal | None) -> None:
        from rapport.customfields.forms import form_fields
        from rapport.customfields.selectors import definitions_for
        from rapport.customfields.values import initial_from_record

        self.custom_definitions = list(definitions_for("sales.deal"))
        self.fields.update(form_fields(self.custom_definitions, actor=actor))
        if deal is not None:
            self.initial.update(initial_from_record(self.custom_definitions, deal))
            self.initial.setdefault("tags", ", ".join(t.name for t in _live_tags(deal)))

    def custom_values(self) -> dict[str, Any]:
        """Cleaned custom values for the service; errors are added to the cf_<key> fields."""
        from rapport.customfields.values import clean_values, form_values

        try:
            return clean_values(self.custom_definitions, form_values(self.cleaned_data), partial=False)
        except ValidationError as exc:
            self.add_service_errors(exc)
            return {}

    def tag_names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data.get("tags", "").split(",") if name.strip()]

    def service_data(self) -> dict[str, Any]:
        data = self.data_for(*self.FIELDS)
        if data.get("amount") is None:
            data.pop("amount", None)
        if self.fields["amount"].disabled:
            data.pop("amount", None)
        if not data.get("stage"):
            data.pop("stage", None)
        if data.get("owner") is None and self.deal is None:
            data.pop("owner", None)
        return data


def _live_tags(deal: Deal) -> list[Any]:
    return sorted(
        (i.tag for i in deal.tagged_items.select_related("tag") if i.tag.deleted_at is None), key=lambda t: t.name
    )


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=_none(Stage))
    version = VersionField()

    def __init__(self, *args: Any, deal: Deal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any live stage of the workspace: the service explains a stage of another pipeline.
        self.fields["stage"].queryset = Stage.objects.filter(workspace_id=deal.workspace_id)


class WonForm(forms.Form):
    create_order = forms.BooleanField(required=False, initial=True, label="Create an order from this deal")
    version = VersionField()


class LostForm(ServiceForm):
    lost_reason = forms.ModelChoiceField(queryset=_none(LostReason), label="Why was it lost?")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = VersionField()

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lost_reason"].queryset = LostReason.objects.filter(workspace_id=actor.workspace.pk, active=True)


class LineForm(ServiceForm):
    product = forms.ModelChoiceField(queryset=_none(Product), required=False, widget=RecordPicker("product"))
    name = forms.CharField(max_length=200, required=False, help_text="Empty: the product's name.")
    quantity = forms.DecimalField(max_digits=12, decimal_places=3, initial=1)
    unit_price = forms.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="Empty: the product's price."
    )
    discount_percent = forms.DecimalField(max_digits=5, decimal_places=2, required=False, label="Discount (%)")
    tax_rate = forms.DecimalField(max_digits=5, decimal_places=2, required=False, label="Tax (%)")
    version = VersionField()

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(workspace_id=actor.workspace.pk, active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("product") and not data.get("name"):
            self.add_error("name", "Choose a product or type a name.")
        if not data.get("product") and data.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", "Enter a unit price.")
        return data

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.data_for(*self.fields).items() if k != "version"}
        return {k: v for k, v in data.items() if v not in (None, "") or k == "quantity"}


class DealContactForm(ServiceForm):
    contact = LimitedModelChoiceField(
        queryset=_none(Contact), help_text="People of the deal's company first.", widget=RecordPicker("contact")
    )
    role = forms.ChoiceField(choices=ContactRoleKind.choices)
    is_primary = forms.BooleanField(required=False, label="Primary contact")
    version = VersionField()

    def __init__(self, *args: Any, actor: Actor, deal: Deal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = visible(Contact.objects.all(), actor).only("id", "first_name", "last_name", "primary_email")
        self.fields["contact"].queryset = contacts.order_by("last_name", "first_name", "id")
        if deal is not None and deal.company_id:
            self.fields["contact"].preferred = models.Q(company_id=deal.company_id)
        self.fields["contact"].limit = 50


class QuoteForm(ServiceForm):
    title = forms.CharField(max_length=200)
    contact = LimitedModelChoiceField(
        queryset=_none(Contact), required=False, label="For", widget=RecordPicker("contact")
    )
    issued_on = forms.DateField(widget=_date_input())
    valid_until = forms.DateField(widget=_date_input(), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    version = VersionField()

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = visible(Contact.objects.all(), actor)


class OrderForm(ServiceForm):
    ordered_on = forms.DateField(widget=_date_input())
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    company = LimitedModelChoiceField(queryset=_none(Company), required=False, widget=RecordPicker("company"))
    contact = LimitedModelChoiceField(queryset=_none(Contact), required=False, widget=RecordPicker("contact"))
    status = forms.ChoiceField(choices=OrderStatus.choices, initial=OrderStatus.OPEN)
    amount_paid = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    external_ref = forms.CharField(max_length=100, required=False, label="External reference")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = VersionField()

    def __init__(self, *args: Any, actor: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = visible(Company.objects.all(), actor)
        self.fields["contact"].queryset = visible(Contact.objects.all(), actor)
        self.fields["currency"].initial = actor.workspace.default_currency
        if editing:
            del self.fields["currency"]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if data.get("amount_paid") is None:
            data.pop("amount_paid", None)
        return data


class ProductForm(ServiceForm):
    sku = forms.CharField(max_length=64, label="SKU")
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    tax_rate = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, initial=0, label="Tax (%)"
    )
    active = forms.BooleanField(required=False, initial=True)
    prices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One price per line: currency and unit price, e.g. “USD 120.00”.",
    )
    version = VersionField()

    def clean_prices(self) -> dict[str, str]:
        prices: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["prices"].splitlines(), start=1):
            parts = line.replace(":", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValidationError(f"Line {number}: write a currency and a price, e.g. “EUR 99.50”.")
            prices[parts[0]] = parts[1]
        return prices


class StageForm(ServiceForm):
    name = forms.CharField(max_length=100)
    probability = forms.IntegerField(min_value=0, max_value=100, label="Win probability (%)")
    rotting_days = forms.IntegerField(min_value=1, required=False, help_text="Empty: never rotting.")
    forecast_category = forms.ChoiceField(choices=ForecastCategory.choices)
    version = VersionField()


class StageDeleteForm(ServiceForm):
    move_to = forms.ModelChoiceField(queryset=_none(Stage), required=False, label="Move its deals to")
    version = VersionField()

    def __init__(self, *args: Any, stage: Stage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = stage.pipeline.stages.exclude(pk=stage.pk)


class PipelineForm(ServiceForm):
    name = forms.CharField(max_length=100)
    version = VersionField()


class PipelineDeleteForm(ServiceForm):
    move_to = forms.ModelChoiceField(queryset=_none(Stage), required=False, label="Move its deals to")
    version = VersionField()

    def __init__(self, *args: Any, pipeline: Pipeline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = (
            Stage.objects.filter(workspace_id=pipeline.workspace_id)
            .exclude(pipeline=pipeline)
            .select_related("pipeline")
        )
        self.fields["move_to"].label_from_instance = lambda s: f"{s.pipeline.name} / {s.name}"


class LostReasonForm(ServiceForm):
    name = forms.CharField(max_length=100)


class QuotaForm(ServiceForm):
    user = forms.ModelChoiceField(queryset=None, label="Person")
    period = forms.ChoiceField(choices=PeriodKind.choices)
    period_start = forms.DateField(widget=_date_input(), help_text="First day of the month or quarter.")
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members(actor)
        self.fields["currency"].initial = actor.workspace.default_currency


class AssignmentRuleForm(ServiceForm):
    name = forms.CharField(max_length=100)
    field = forms.ChoiceField(choices=RuleField.choices, required=False, label="When")
    values = forms.CharField(max_length=300, required=False, help_text="Comma-separated, e.g. DE, AT, CH.")
    assign_to = forms.ModelChoiceField(queryset=None, required=False, label="Assign to this person")
    team = forms.ModelChoiceField(queryset=_none(Team), required=False, label="…or round robin in team")

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].queryset = members(actor)
        self.fields["team"].queryset = Team.objects.filter(workspace_id=actor.workspace.pk)


class BoardFilterForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone")
    team = forms.ModelChoiceField(queryset=_none(Team), required=False, empty_label="Any team")
    close_from = forms.DateField(required=False, widget=_date_input(), label="Closing from")
    close_to = forms.DateField(required=False, widget=_date_input(), label="to")
    tag = forms.IntegerField(required=False, widget=forms.Select)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from rapport.tags.models import Tag

        self.fields["owner"].queryset = members(actor)
        self.fields["team"].queryset = Team.objects.filter(workspace_id=actor.workspace.pk)
        tags = [("", "Any tag"), *Tag.objects.filter(workspace_id=actor.workspace.pk).values_list("pk", "name")]
        self.fields["tag"].widget.choices = tags
