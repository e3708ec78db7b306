"""Custom values in the API, and the serializer of definitions (/api/v1/custom-fields/).

A record serializer declares ``custom = CustomValuesField("contacts.contact")`` and mixes in
:class:`CustomValuesMixin`. The OpenAPI document then shows a ``ContactCustomFields`` object
with one typed property per custom field of the requesting workspace (built at schema time by
the drf-spectacular extension below).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from rapport.customfields.models import CustomFieldDefinition, FieldType
from rapport.customfields.selectors import definitions_for, record_type_label
from rapport.customfields.values import clean_values, merged_custom


class MoneySerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=None, decimal_places=None, coerce_to_string=True, help_text="Decimal amount, e.g. 12.50"
    )
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217 code; the field's default when omitted."
    )


def serializer_field(definition: CustomFieldDefinition) -> serializers.Field:
    """A DRF field describing one custom value (types for the schema; values are checked by clean_values)."""
    kind = definition.field_type
    common: dict[str, Any] = {
        "required": definition.required,
        "allow_null": not definition.required,
        "label": definition.label,
        "help_text": definition.help_text or None,
    }
    if kind == FieldType.TEXT:
        return serializers.CharField(max_length=255, allow_blank=True, **common)
    if kind == FieldType.LONG_TEXT:
        return serializers.CharField(max_length=10_000, allow_blank=True, trim_whitespace=False, **common)
    if kind == FieldType.NUMBER:
        return serializers.DecimalField(max_digits=None, decimal_places=None, coerce_to_string=True, **common)
    if kind == FieldType.MONEY:
        return MoneySerializer(**common)
    if kind == FieldType.DATE:
        return serializers.DateField(**common)
    if kind == FieldType.DATETIME:
        return serializers.DateTimeField(**common)
    if kind == FieldType.CHECKBOX:
        return serializers.BooleanField(**common)
    choices = [c["value"] for c in definition.choices]
    if kind == FieldType.SELECT:
        return serializers.ChoiceField(choices=choices, **common)
    if kind == FieldType.MULTI_SELECT:
        return serializers.ListField(child=serializers.ChoiceField(choices=choices), **common)
    if kind == FieldType.URL:
        return serializers.URLField(max_length=2000, **common)
    if kind == FieldType.EMAIL:
        return serializers.EmailField(**common)
    if kind == FieldType.PHONE:
        common["help_text"] = common["help_text"] or "Phone number; stored in E.164 (+15550102030)."
        return serializers.CharField(max_length=40, **common)
    if kind == FieldType.USER:
        common["help_text"] = common["help_text"] or "Id of a member of the workspace."
        return serializers.IntegerField(**common)
    raise ValueError(f"Unknown custom field type {kind!r}")


def custom_serializer_class(record_type: str) -> type[serializers.Serializer]:
    """A serializer class with one field per custom field of ``record_type`` (the active workspace's).

    The same definitions give the same class, so schema tools see one component, not look-alikes.
    """
    label = record_type_label(record_type)
    definitions = definitions_for(label)
    signature = tuple(
        (d.pk, d.version, d.key, d.field_type, d.label, d.help_text, d.required, json.dumps(d.options, sort_keys=True))
        for d in definitions
    )
    return _serializer_class(label, signature, tuple(definitions))


@lru_cache(maxsize=256)
def _serializer_class(label: str, signature: tuple, definitions: tuple[CustomFieldDefinition, ...]) -> type:
    try:
        model_name = apps.get_model(label).__name__
    except (LookupError, ValueError):
        model_name = "".join(part.capitalize() for part in label.replace(".", "_").split("_"))
    attrs: dict[str, Any] = {d.key: serializer_field(d) for d in definitions}
    attrs["__module__"] = __name__
    attrs["__doc__"] = f"Custom field values of a {model_name.lower()}, by key."
    return type(f"{model_name}CustomFieldsSerializer", (serializers.Serializer,), attrs)


class CustomValuesField(serializers.Field):
    """The ``custom`` object of a record: ``{key: value}`` for every custom field of the record type.

    Reading shows every defined key (null when empty). Writing validates with ``clean_values``
    (partial on PATCH) and yields ``{key: cleaned value or None}``; errors come out per key, so
    the problem+json response names ``custom.<key>``. Unknown keys are errors.
    """

    def __init__(self, record_type: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Custom field values, by key (see /api/v1/custom-fields/).")
        self.record_type = record_type_label(record_type)
        self._definitions: list[CustomFieldDefinition] | None = None
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return getattr(instance, "custom", None) or {}

    def definitions(self) -> list[CustomFieldDefinition]:
        # Loaded once per serializer instance: a list of records costs one query, not one per row.
        if self._definitions is None:
            self._definitions = definitions_for(self.record_type)
        return self._definitions

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return {d.key: value.get(d.key) for d in self.definitions()}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Send an object of custom values by key.")
        partial = bool(getattr(self.root, "partial", False))
        try:
            return clean_values(self.definitions(), data, partial=partial, api=True)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {key.removeprefix("custom."): messages for key, messages in exc.message_dict.items()}
            ) from None


class CustomValuesMixin:
    """For record serializers with a ``custom = CustomValuesField(...)`` field.

    On create, required custom fields are checked even when ``custom`` is omitted; ``create`` and
    ``update`` merge the cleaned values into the record's stored ``custom`` (empty values remove
    their key). Services that write records themselves use ``merged_custom`` the same way.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # type: ignore[misc]
        field = self.fields.get("custom")  # type: ignore[attr-defined]
        if isinstance(field, CustomValuesField) and self.instance is None and "custom" not in attrs:  # type: ignore[attr-defined]
            try:
                attrs["custom"] = clean_values(field.definitions(), {}, partial=False, api=True)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(
                    {"custom": {k.removeprefix("custom."): v for k, v in exc.message_dict.items()}}
                ) from None
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Any:
        if "custom" in validated_data:
            validated_data["custom"] = merged_custom({}, validated_data["custom"])
        return super().create(validated_data)  # type: ignore[misc]

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        if "custom" in validated_data:
            validated_data["custom"] = merged_custom(instance.custom, validated_data["custom"])
        return super().update(instance, validated_data)  # type: ignore[misc]


class CustomValuesFieldExtension(OpenApiSerializerFieldExtension):
    """Documents a CustomValuesField as a named object with the workspace's custom fields."""

    target_class = CustomValuesField
    match_subclasses = True  # record apps may subclass the field (e.g. to validate in their service)

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        serializer = custom_serializer_class(self.target.record_type)()
        component = auto_schema.resolve_serializer(serializer, direction)
        return component.ref if component else {"type": "object", "additionalProperties": True}


# --- /api/v1/custom-fields/ ---------------------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(required=False, help_text="Stored value; derived from the label when omitted.")
    label = serializers.CharField()


class OptionsSerializer(serializers.Serializer):
    choices = ChoiceSerializer(many=True, required=False, help_text="Select and multi select fields.")
    currency = serializers.CharField(required=False, help_text="Money fields: the default ISO 4217 currency.")


class DefinitionSerializer(serializers.ModelSerializer):
    """A custom field. ``key`` and ``field_type`` are set on creation; change the type with change-type."""

    options = OptionsSerializer(required=False)
    version = serializers.IntegerField(read_only=True, help_text="Increases on every change; also sent as ETag.")

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "id",
            "record_type",
            "key",
            "label",
            "field_type",
            "options",
            "required",
            "help_text",
            "position",
            "searchable",
            "show_in_lists",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        extra_kwargs = {"key": {"required": False}, "position": {"required": False}}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(dict.fromkeys(unknown, "Unknown field."))
        return super().to_internal_value(data)

    def to_representation(self, instance: CustomFieldDefinition) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["options"] = instance.options or {}
        return data


class ChangeTypeSerializer(serializers.Serializer):
    field_type = serializers.ChoiceField(choices=FieldType.choices)
    options = OptionsSerializer(required=False)
    apply = serializers.BooleanField(
        default=False, help_text="False: only report what would happen. True: convert and change the type."
    )
    clear_failures = serializers.BooleanField(
        default=False, help_text="When applying, clear the values that cannot be converted (History keeps them)."
    )


class FailureSerializer(serializers.Serializer):
    record_id = serializers.IntegerField()
    record_label = serializers.CharField()
    value = serializers.CharField()
    reason = serializers.CharField()


class ConversionReportSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    refused = serializers.CharField(allow_null=True, help_text="Why the change is impossible, if it is.")
    total = serializers.IntegerField(help_text="Records holding a value.")
    converted = serializers.IntegerField()
    failure_count = serializers.IntegerField()
    failures = FailureSerializer(many=True, help_text="The first 100 failures.")
