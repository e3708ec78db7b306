"""Form fields for custom values (used by record forms) and the admin forms for definitions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from rapport.customfields.models import SEARCHABLE_TYPES, CustomFieldDefinition, FieldType, key_validator
from rapport.customfields.types import ValueContext, clean_choices, clean_value

# --- Record forms -------------------------------------------------------------------------------


class MoneyFormField(forms.CharField):
    """``12.50`` or ``12.50 EUR``; cleaned into the stored ``{"amount", "currency"}``."""


def _validator(definition: CustomFieldDefinition, ctx: ValueContext):
    def validate(value: Any) -> None:
        clean_value(definition, value, ctx)

    return validate


def form_field(definition: CustomFieldDefinition, *, actor: Any, ctx: ValueContext | None = None) -> forms.Field:
    """The Django form field of one definition (values are cleaned again by ``clean_values``)."""
    ctx = ctx or ValueContext.for_definitions([definition])
    kind = definition.field_type
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required and kind != FieldType.CHECKBOX,
        "help_text": definition.help_text,
    }
    check = [_validator(definition, ctx)]
    if kind == FieldType.TEXT:
        return forms.CharField(max_length=255, validators=check, **common)
    if kind == FieldType.LONG_TEXT:
        return forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}), strip=False, **common)
    if kind == FieldType.NUMBER:
        return forms.DecimalField(validators=check, **common)
    if kind == FieldType.MONEY:
        currency = definition.currency or ctx.default_currency
        common["help_text"] = common["help_text"] or f"Amount in {currency}, or add another code: 12.50 USD"
        return MoneyFormField(validators=check, **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == FieldType.DATETIME:
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        return forms.DateTimeField(widget=widget, **common)
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldType.SELECT:
        choices = [("", "—")] + [(c["value"], c["label"]) for c in definition.choices]
        return forms.ChoiceField(choices=choices, **common)
    if kind == FieldType.MULTI_SELECT:
        return forms.MultipleChoiceField(
            choices=[(c["value"], c["label"]) for c in definition.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == FieldType.URL:
        return forms.URLField(max_length=2000, assume_scheme="https", validators=check, **common)
    if kind == FieldType.EMAIL:
        return forms.EmailField(max_length=254, **common)
    if kind == FieldType.PHONE:
        widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
        return forms.CharField(max_length=40, widget=widget, validators=check, **common)
    if kind == FieldType.USER:
        members = (
            get_user_model()
            .objects.filter(memberships__workspace=actor.workspace, memberships__is_active=True)
            .order_by("full_name", "email")
        )
        return forms.ModelChoiceField(queryset=members, empty_label="—", **common)
    raise ValueError(f"Unknown custom field type {kind!r}")


def form_fields(definitions: list[CustomFieldDefinition], *, actor: Any) -> dict[str, forms.Field]:
    """``{"cf_<key>": field}`` for a record form, in definition order."""
    ctx = ValueContext.for_definitions(definitions)
    return {d.form_name: form_field(d, actor=actor, ctx=ctx) for d in definitions}


# --- Admin forms for definitions ------------------------------------------------------------


def choices_to_text(choices: list[dict[str, str]]) -> str:
    return "\n".join(f"{c['value']} | {c['label']}" for c in choices)


def choices_from_text(text: str) -> list[dict[str, str]]:
    """One option per line: ``Label`` or ``value | Label`` (keep the value to keep stored data)."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        value, sep, label = line.partition("|")
        items.append({"value": value.strip(), "label": label.strip()} if sep else {"label": line.strip()})
    return items


class _OptionsMixin(forms.Form):
    choices_text = forms.CharField(
        label="Options",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Select fields: one option per line. Keep “value | ” in front of existing options.",
    )
    currency = forms.CharField(
        label="Currency", required=False, max_length=3, help_text="Money fields: ISO code such as EUR."
    )

    def options_for(self, field_type: str, *, strict: bool = True) -> dict[str, Any]:
        """Options for ``field_type``; ``strict`` makes inputs that do not apply to it errors."""
        options: dict[str, Any] = {}
        if field_type in (FieldType.SELECT, FieldType.MULTI_SELECT):
            try:
                options["choices"] = clean_choices(choices_from_text(self.cleaned_data.get("choices_text", "")))
            except ValidationError as exc:
                self.add_error("choices_text", exc.message_dict.get("options", exc.messages))
        elif strict and self.cleaned_data.get("choices_text"):
            self.add_error("choices_text", "Only select fields have options.")
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        if field_type == FieldType.MONEY and currency:
            options["currency"] = currency
        elif strict and currency:
            self.add_error("currency", "Only money fields have a currency.")
        return options


class DefinitionForm(_OptionsMixin, forms.ModelForm):
    class Meta:
        model = CustomFieldDefinition
        fields = ["label", "key", "field_type", "required", "help_text", "searchable", "show_in_lists"]
        help_texts = {"key": "Lower-case letters, digits and _. Used in the API; cannot change later."}

    field_order = ["label", "key", "field_type", "choices_text", "currency", "required", "help_text"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].validators = [key_validator]
        self.fields["key"].required = False
        self.fields["key"].help_text += " Leave empty to derive it from the label."
        editing = self.instance.pk is not None
        if editing:
            del self.fields["key"]
            del self.fields["field_type"]
            self.fields["choices_text"].initial = choices_to_text(self.instance.choices)
            self.fields["currency"].initial = self.instance.currency

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        field_type = data.get("field_type") or self.instance.field_type
        if field_type:
            data["options"] = self.options_for(field_type)
            self.instance.options = data["options"] if not self.has_error("choices_text") else {}
            if data.get("searchable") and field_type not in SEARCHABLE_TYPES:
                self.add_error("searchable", "Only text-like and select fields can be searched.")
        return data

    def _post_clean(self) -> None:
        # The service validates the definition again; with errors already shown, the model's own
        # checks would only repeat them (under names the form has no field for).
        if not self.errors:
            super()._post_clean()


class ChangeTypeForm(_OptionsMixin):
    field_type = forms.ChoiceField(label="New type", choices=FieldType.choices)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Both come from the confirmation form under the preview, not from the first step.
    clear_failures = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["field_type", "choices_text", "currency"]

    def __init__(self, *args: Any, definition: CustomFieldDefinition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.fields["field_type"].choices = [c for c in FieldType.choices if c[0] != definition.field_type]
        self.fields["choices_text"].initial = choices_to_text(definition.choices)
        self.fields["currency"].initial = definition.currency

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("field_type"):
            data["options"] = self.options_for(data["field_type"], strict=False)
        return data
