"""/api/v1/pipelines/, deals/ (+ move, won, lost, reopen, lines), products/, quotes/, orders/, forecast/."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rapport.api.permissions import IsWorkspaceMember, TokenScopePermission
from rapport.api.viewsets import RecordViewSet, etag_for
from rapport.core.replica import on_replica
from rapport.sales import forecast as forecasting
from rapport.sales.api.serializers import (
    DealSerializer,
    ForecastSerializer,
    LineInputSerializer,
    LostSerializer,
    MoveSerializer,
    OrderImportSerializer,
    OrderSerializer,
    PipelineSerializer,
    ProductSerializer,
    QuoteSerializer,
    WonSerializer,
)
from rapport.sales.models import Deal, DealContact, Order, Pipeline, Product, Quote, Stage
from rapport.sales.services import deals as deal_services
from rapport.sales.services import lines as line_services
from rapport.sales.services import orders as order_services
from rapport.sales.services import pipelines as pipeline_services
from rapport.sales.services import products as product_services
from rapport.sales.services import quotes as quote_services


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise serializers.ValidationError({name: ["Give an id (a whole number)."]})
    return int(raw)


class PipelineViewSet(RecordViewSet):
    """Pipelines with their ordered stages. Owners and admins change them."""

    model = Pipeline
    serializer_class = PipelineSerializer
    write_capability = "sales.configure"
    create_capability = "sales.configure"
    ordering_fields = ("position", "created_at", "name")
    ordering = ("position", "id")

    def get_base_queryset(self) -> models.QuerySet:
        return Pipeline.objects.prefetch_related("stages")

    def create_record(self, serializer: serializers.BaseSerializer) -> Pipeline:
        data = dict(serializer.validated_data)
        stages = [dict(s) for s in data.pop("stages", [])] or None
        return pipeline_services.pipeline_create(actor=self.actor, name=data.get("name", ""), stages=stages)

    def update_record(self, record: Pipeline, data: dict[str, Any], *, expected_version: int | None) -> Pipeline:
        if "stages" in data:
            raise serializers.ValidationError({"stages": ["Change stages one by one in the set-up page."]})
        pipeline_services.pipeline_update(
            actor=self.actor, pipeline=record, data=data, expected_version=expected_version
        )
        return record

    @extend_schema(
        parameters=[OpenApiParameter("move_to", int, description="Stage (of another pipeline) for its deals.")]
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().destroy(request, *args, **kwargs)

    def delete_record(self, record: Pipeline, *, expected_version: int | None) -> None:
        move_to_id = _int_param(self.request, "move_to")
        move_to = (
            Stage.objects.filter(workspace_id=self.actor.workspace.pk, pk=move_to_id).first() if move_to_id else None
        )
        if move_to_id and move_to is None:
            raise serializers.ValidationError({"move_to": ["No such stage."]})
        pipeline_services.pipeline_delete(
            actor=self.actor, pipeline=record, move_to=move_to, expected_version=expected_version
        )


DEAL_FILTERS = [
    OpenApiParameter("pipeline", int, description="Only deals of this pipeline."),
    OpenApiParameter("stage", int, description="Only deals in this stage."),
    OpenApiParameter("status", str, enum=["open", "won", "lost"]),
    OpenApiParameter("owner", int, description="Only deals owned by this member."),
    OpenApiParameter("company", int, description="Only deals of this company."),
]


class DealViewSet(RecordViewSet):
    """Deals the actor can see. Stage changes go through ``POST /deals/{id}/move/`` with If-Match."""

    model = Deal
    serializer_class = DealSerializer
    ordering_fields = ("created_at", "updated_at", "amount", "name")

    def get_base_queryset(self) -> models.QuerySet:
        return Deal.objects.select_related("stage").prefetch_related(
            "line_items",
            "tagged_items__tag",
            models.Prefetch("deal_contacts", queryset=DealContact.objects.select_related("contact")),
        )

    @extend_schema(parameters=DEAL_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        if self.action == "list":
            for name in ("pipeline", "stage", "owner", "company"):
                value = _int_param(self.request, name)
                if value is not None:
                    queryset = queryset.filter(**{f"{name}_id": value})
            wanted = self.request.query_params.get("status")
            if wanted:
                if wanted not in ("open", "won", "lost"):
                    raise serializers.ValidationError({"status": ["Use open, won or lost."]})
                queryset = queryset.filter(status=wanted)
        return super().filter_queryset(queryset)

    def create_record(self, serializer: serializers.BaseSerializer) -> Deal:
        data = dict(serializer.validated_data)
        custom, tags = data.pop("custom", None), data.pop("tags", None)
        return deal_services.deal_create(actor=self.actor, data=data, custom=custom, tags=tags)

    def update_record(self, record: Deal, data: dict[str, Any], *, expected_version: int | None) -> Deal:
        custom, tags = data.pop("custom", None), data.pop("tags", None)
        deal_services.deal_update(
            actor=self.actor, deal=record, data=data, expected_version=expected_version, custom=custom, tags=tags
        )
        return self.get_queryset().get(pk=record.pk)

    def delete_record(self, record: Deal, *, expected_version: int | None) -> None:
        deal_services.deal_delete(actor=self.actor, deal=record, expected_version=expected_version)

    def _respond(self, deal: Deal) -> Response:
        fresh = self.get_queryset().get(pk=deal.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": etag_for(fresh)})

    def _change(self, request: Request, serializer_class: type[serializers.Serializer], apply) -> Response:
        deal = self.get_object()
        expected = self.expected_version(deal)
        body = serializer_class(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            apply(deal, body.validated_data, expected)
        return self._respond(deal)

    @extend_schema(request=MoveSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: int | None = None) -> Response:
        """Move the deal to another stage of its pipeline. Send ``If-Match`` with the ETag you saw:
        if someone moved or changed the deal since, the answer is 412 and nothing changes."""
        return self._change(
            request,
            MoveSerializer,
            lambda deal, data, expected: deal_services.deal_move_stage(
                actor=self.actor, deal=deal, stage=data["stage"], expected_version=expected
            ),
        )

    @extend_schema(request=WonSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def won(self, request: Request, pk: int | None = None) -> Response:
        """Win the deal (an order is created from it unless ``create_order`` is false)."""
        return self._change(
            request,
            WonSerializer,
            lambda deal, data, expected: deal_services.deal_mark_won(
                actor=self.actor, deal=deal, expected_version=expected, create_order=data["create_order"]
            ),
        )

    @extend_schema(request=LostSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def lost(self, request: Request, pk: int | None = None) -> Response:
        return self._change(
            request,
            LostSerializer,
            lambda deal, data, expected: deal_services.deal_mark_lost(
                actor=self.actor,
                deal=deal,
                lost_reason=data["lost_reason"],
                note=data["note"],
                expected_version=expected,
            ),
        )

    @extend_schema(request=None, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: int | None = None) -> Response:
        return self._change(
            request,
            serializers.Serializer,
            lambda deal, data, expected: deal_services.deal_reopen(
                actor=self.actor, deal=deal, expected_version=expected
            ),
        )

    @extend_schema(request=LineInputSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def lines(self, request: Request, pk: int | None = None) -> Response:
        """Add a line item; the deal's amount becomes the net total of its lines."""
        return self._change(
            request,
            LineInputSerializer,
            lambda deal, data, expected: line_services.deal_line_add(
                actor=self.actor, deal=deal, data=dict(data), expected_version=expected
            ),
        )


class ProductViewSet(RecordViewSet):
    """The product catalogue with its price list. Owners, admins and managers change it."""

    model = Product
    serializer_class = ProductSerializer
    write_capability = "products.manage"
    create_capability = "products.manage"
    ordering_fields = ("created_at", "updated_at", "name", "sku")
    ordering = ("name", "id")

    def get_base_queryset(self) -> models.QuerySet:
        return Product.objects.prefetch_related("prices")

    @staticmethod
    def _prices(data: dict[str, Any]) -> dict[str, Any] | None:
        if "prices" not in data:
            return None
        prices: dict[str, Any] = {}
        for row in data.pop("prices"):
            currency = str(row["currency"]).strip().upper()
            if currency in prices:
                raise serializers.ValidationError({"prices": [f"{currency} is listed twice."]})
            prices[currency] = row["unit_price"]
        return prices

    def create_record(self, serializer: serializers.BaseSerializer) -> Product:
        data = dict(serializer.validated_data)
        prices = self._prices(data)
        return product_services.product_create(actor=self.actor, data=data, prices=prices)

    def update_record(self, record: Product, data: dict[str, Any], *, expected_version: int | None) -> Product:
        prices = self._prices(data)
        product_services.product_update(
            actor=self.actor, product=record, data=data, prices=prices, expected_version=expected_version
        )
        return Product.objects.prefetch_related("prices").get(pk=record.pk)

    def delete_record(self, record: Product, *, expected_version: int | None) -> None:
        product_services.product_delete(actor=self.actor, product=record, expected_version=expected_version)


class QuoteViewSet(RecordViewSet):
    """Quotes: created from a deal (its lines are copied, the number is the next in the workspace)."""

    model = Quote
    serializer_class = QuoteSerializer
    ordering_fields = ("created_at", "updated_at", "number")

    def get_base_queryset(self) -> models.QuerySet:
        return Quote.objects.prefetch_related("lines")

    def create_record(self, serializer: serializers.BaseSerializer) -> Quote:
        data = dict(serializer.validated_data)
        deal = data.pop("deal")
        return quote_services.quote_create(actor=self.actor, deal=deal, data=data)

    def update_record(self, record: Quote, data: dict[str, Any], *, expected_version: int | None) -> Quote:
        if "deal" in data and data["deal"].pk != record.deal_id:
            raise serializers.ValidationError({"deal": ["A quote stays with its deal."]})
        data.pop("deal", None)
        quote_services.quote_update(actor=self.actor, quote=record, data=data, expected_version=expected_version)
        return record

    def delete_record(self, record: Quote, *, expected_version: int | None) -> None:
        quote_services.quote_delete(actor=self.actor, quote=record, expected_version=expected_version)

    def _transition(self, name: str) -> Response:
        quote = self.get_object()
        expected = self.expected_version(quote)
        with transaction.atomic():
            getattr(quote_services, name)(actor=self.actor, quote=quote, expected_version=expected)
        fresh = self.get_queryset().get(pk=quote.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": etag_for(fresh)})

    @extend_schema(request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: int | None = None) -> Response:
        return self._transition("quote_send")

    @extend_schema(request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: int | None = None) -> Response:
        """Accept: the order is created from the quote and the deal is won."""
        return self._transition("quote_accept")

    @extend_schema(request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: int | None = None) -> Response:
        return self._transition("quote_decline")


class OrderViewSet(RecordViewSet):
    """Orders and what is still due on them; ``POST /orders/import/`` creates many, all or nothing."""

    model = Order
    serializer_class = OrderSerializer
    ordering_fields = ("created_at", "updated_at", "ordered_on", "number")

    def get_base_queryset(self) -> models.QuerySet:
        return Order.objects.prefetch_related("lines")

    @staticmethod
    def _split(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        lines = [dict(line) for line in data.pop("lines", [])]
        return data, lines

    def create_record(self, serializer: serializers.BaseSerializer) -> Order:
        data, lines = self._split(dict(serializer.validated_data))
        return order_services.order_create(actor=self.actor, data=data, lines=lines)

    def update_record(self, record: Order, data: dict[str, Any], *, expected_version: int | None) -> Order:
        if "lines" in data or ("currency" in data and data["currency"] != record.currency) or "deal" in data:
            raise serializers.ValidationError(
                {"lines": ["Lines, currency and deal are set when the order is created."]}
            )
        order_services.order_update(actor=self.actor, order=record, data=data, expected_version=expected_version)
        return record

    def delete_record(self, record: Order, *, expected_version: int | None) -> None:
        order_services.order_delete(actor=self.actor, order=record, expected_version=expected_version)

    @extend_schema(request=OrderImportSerializer, responses=OrderSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="import")
    def import_orders(self, request: Request) -> Response:
        body = OrderImportSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        rows = []
        for row in body.validated_data["orders"]:
            data, lines = self._split(dict(row))
            rows.append({**data, "lines": lines})
        with transaction.atomic():
            created = order_services.orders_import(actor=self.actor, rows=rows)
        fresh = self.get_queryset().filter(pk__in=[o.pk for o in created]).order_by("number")
        return Response(self.get_serializer(fresh, many=True).data, status=status.HTTP_201_CREATED)


class ForecastView(APIView):
    """Won, commit, best case and weighted pipeline for a month or quarter, by owner or team, with quotas."""

    permission_classes = [IsWorkspaceMember, TokenScopePermission]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", str, description="2026-05 (a month) or 2026-Q2 (a quarter); default: this quarter."
            ),
            OpenApiParameter("by", str, enum=["owner", "team"]),
            OpenApiParameter("pipeline", int),
        ],
        responses=ForecastSerializer,
        operation_id="forecast_retrieve",
    )
    @method_decorator(on_replica)
    def get(self, request: Request) -> Response:
        actor = request._request.actor
        raw = request.query_params.get("period")
        period = forecasting.Period.parse(raw, today=timezone.localdate())
        if raw and period.key.upper() != raw.strip().upper():
            raise serializers.ValidationError({"period": ["Use YYYY-MM for a month or YYYY-Qn for a quarter."]})
        group_by = request.query_params.get("by", "owner")
        if group_by not in ("owner", "team"):
            raise serializers.ValidationError({"by": ["Group by owner or team."]})
        rows = forecasting.forecast(actor, period, group_by=group_by, pipeline_id=_int_param(request, "pipeline"))

        def shape(row: forecasting.ForecastRow) -> dict[str, Any]:
            figures = row.figures
            return {
                "key": row.key,
                "label": row.label,
                "currency": row.currency,
                "quota": figures.quota,
                "won": figures.won,
                "commit": figures.commit,
                "best_case": figures.best_case,
                "weighted_pipeline": figures.weighted,
                "attainment": figures.attainment,
            }

        data = {
            "period": period.key,
            "start": period.start,
            "end": period.end,
            "group_by": group_by,
            "rows": [shape(r) for r in rows],
            "totals": [shape(r) for r in forecasting.totals(rows)],
        }
        return Response(ForecastSerializer(data).data)
