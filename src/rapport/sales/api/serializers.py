"""API shapes of the sales records. Input is parsed here; the services decide what is allowed.

Money is sent and returned as a decimal string with its ISO 4217 currency, never as a float.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from rapport.api.serializers import MemberField, RecordSerializer, VisibleRecordField
from rapport.contacts.models import Company, Contact
from rapport.customfields.serializers import CustomValuesField, CustomValuesMixin
from rapport.sales.models import (
    Deal,
    DealSource,
    ForecastCategory,
    LostReason,
    Order,
    OrderStatus,
    Pipeline,
    Product,
    Quote,
    Stage,
)


def money_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, **kwargs)


class WorkspaceRecordField(serializers.PrimaryKeyRelatedField):
    """A record of the request's workspace (pipelines, stages, products: every member sees them)."""

    def __init__(self, model, **kwargs: Any) -> None:
        from django.db import models

        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", models.QuerySet(model=model))
        super().__init__(**kwargs)

    def get_queryset(self):
        from django.db import models

        request = self.context.get("request")
        actor = getattr(request._request, "actor", None) if request is not None else None
        if actor is None:
            return models.QuerySet(model=self.model).none()
        return self.model.objects.filter(workspace_id=actor.workspace.pk)


class StageSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Stage
        fields = ["id", "name", "position", "probability", "rotting_days", "forecast_category"]
        read_only_fields = ["position"]


class PipelineSerializer(RecordSerializer):
    stages = StageSerializer(many=True, required=False, help_text="On create: the stages in order (default: standard).")

    class Meta:
        model = Pipeline
        fields = ["id", "name", "position", "stages", "version", "created_at", "updated_at"]
        read_only_fields = ["position", "created_at", "updated_at"]

    def to_representation(self, instance: Pipeline) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["stages"] = StageSerializer(instance.stages.filter(deleted_at__isnull=True), many=True).data
        return data


class LineInputSerializer(serializers.Serializer):
    product = WorkspaceRecordField(Product, required=False, allow_null=True)
    name = serializers.CharField(max_length=200, required=False, help_text="Default: the product's name.")
    description = serializers.CharField(required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, default=1)
    unit_price = money_field(required=False, allow_null=True, help_text="Default: the product's price in the currency.")
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    product = serializers.IntegerField(source="product_id", read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    unit_price = money_field(read_only=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    net_amount = money_field(read_only=True)
    tax_amount = money_field(read_only=True)
    total_amount = money_field(read_only=True)


class DealContactSerializer(serializers.Serializer):
    contact = serializers.IntegerField(source="contact_id", read_only=True)
    name = serializers.CharField(source="contact.full_name", read_only=True)
    role = serializers.CharField(read_only=True)
    is_primary = serializers.BooleanField(read_only=True)


class DealSerializer(CustomValuesMixin, RecordSerializer):
    pipeline = WorkspaceRecordField(Pipeline, required=False)
    stage = WorkspaceRecordField(Stage, required=False, help_text="A stage of the deal's pipeline.")
    amount = money_field(required=False, help_text="Follows the line items when the deal has any.")
    currency = serializers.CharField(max_length=3, required=False, help_text="ISO 4217, e.g. USD.")
    owner = MemberField(required=False, allow_null=True)
    company = VisibleRecordField(Company, required=False, allow_null=True)
    source = serializers.ChoiceField(choices=DealSource.choices, required=False, allow_blank=True)
    forecast_category = serializers.ChoiceField(choices=ForecastCategory.choices, required=False, allow_blank=True)
    effective_probability = serializers.IntegerField(read_only=True)
    weighted_amount = money_field(read_only=True)
    lost_reason = serializers.PrimaryKeyRelatedField(read_only=True)
    line_items = LineSerializer(many=True, read_only=True)
    contacts = DealContactSerializer(source="deal_contacts", many=True, read_only=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, help_text="Tag names; unknown names create tags."
    )
    custom = CustomValuesField("sales.deal")

    class Meta:
        model = Deal
        fields = [
            "id",
            "name",
            "pipeline",
            "stage",
            "status",
            "amount",
            "currency",
            "expected_close_date",
            "probability",
            "effective_probability",
            "weighted_amount",
            "forecast_category",
            "owner",
            "company",
            "source",
            "next_step",
            "lost_reason",
            "lost_note",
            "closed_at",
            "stage_entered_at",
            "line_items",
            "contacts",
            "tags",
            "custom",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "lost_note", "closed_at", "stage_entered_at", "created_at", "updated_at"]
        extra_kwargs = {"probability": {"min_value": 0, "max_value": 100}}

    def to_representation(self, instance: Deal) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["tags"] = sorted(i.tag.name for i in instance.tagged_items.all() if i.tag.deleted_at is None)
        return data


class MoveSerializer(serializers.Serializer):
    stage = WorkspaceRecordField(Stage)


class LostSerializer(serializers.Serializer):
    lost_reason = WorkspaceRecordField(LostReason)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WonSerializer(serializers.Serializer):
    create_order = serializers.BooleanField(default=True)


class PriceSerializer(serializers.Serializer):
    currency = serializers.CharField(max_length=3)
    unit_price = money_field()


class ProductSerializer(RecordSerializer):
    prices = PriceSerializer(many=True, required=False, help_text="The price list: one unit price per currency.")

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "tax_rate",
            "active",
            "prices",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs

    def to_representation(self, instance: Product) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["prices"] = [{"currency": p.currency, "unit_price": f"{p.unit_price:.2f}"} for p in instance.prices.all()]
        return data


class QuoteSerializer(RecordSerializer):
    deal = VisibleRecordField(Deal, help_text="The deal quoted; its lines are copied.")
    contact = VisibleRecordField(Contact, required=False, allow_null=True)
    owner = MemberField(required=False, allow_null=True)
    reference = serializers.CharField(read_only=True)
    subtotal = money_field(read_only=True)
    discount_total = money_field(read_only=True)
    tax_total = money_field(read_only=True)
    total = money_field(read_only=True)
    lines = LineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "reference",
            "deal",
            "title",
            "contact",
            "status",
            "currency",
            "issued_on",
            "valid_until",
            "notes",
            "owner",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "lines",
            "sent_at",
            "decided_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status", "currency", "sent_at", "decided_at", "created_at", "updated_at"]
        extra_kwargs = {"title": {"required": False}, "issued_on": {"required": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs


class OrderSerializer(RecordSerializer):
    deal = VisibleRecordField(Deal, required=False, allow_null=True)
    quote = serializers.PrimaryKeyRelatedField(read_only=True)
    company = VisibleRecordField(Company, required=False, allow_null=True)
    contact = VisibleRecordField(Contact, required=False, allow_null=True)
    owner = MemberField(required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False, help_text="ISO 4217; fixed once created.")
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    amount_paid = money_field(required=False)
    reference = serializers.CharField(read_only=True)
    subtotal = money_field(read_only=True)
    discount_total = money_field(read_only=True)
    tax_total = money_field(read_only=True)
    total = money_field(read_only=True)
    balance = money_field(read_only=True)
    lines = LineInputSerializer(many=True, required=False, write_only=True, help_text="On create only.")
    line_items = LineSerializer(source="lines", many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "reference",
            "deal",
            "quote",
            "company",
            "contact",
            "ordered_on",
            "status",
            "currency",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "amount_paid",
            "balance",
            "external_ref",
            "notes",
            "owner",
            "lines",
            "line_items",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "created_at", "updated_at"]
        extra_kwargs = {"ordered_on": {"required": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs


class OrderImportSerializer(serializers.Serializer):
    orders = OrderSerializer(many=True, help_text="All created, or none (errors name the row).")


class ForecastFiguresSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text="User id (by owner) or team id (by team).")
    label = serializers.CharField()
    currency = serializers.CharField()
    quota = money_field(allow_null=True)
    won = money_field()
    commit = money_field()
    best_case = money_field()
    weighted_pipeline = money_field()
    attainment = serializers.IntegerField(allow_null=True, help_text="Won as a percentage of the quota.")


class ForecastSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="2026-05 (month) or 2026-Q2 (quarter).")
    start = serializers.DateField()
    end = serializers.DateField(help_text="The first day after the period.")
    group_by = serializers.ChoiceField(choices=["owner", "team"])
    rows = ForecastFiguresSerializer(many=True)
    totals = ForecastFiguresSerializer(many=True)
