"""/api/v1/custom-fields/: list, read, create, change, delete and re-type custom field definitions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rapport.api.viewsets import RecordViewSet, etag_for
from rapport.customfields import services
from rapport.customfields.conversion import ConversionReport
from rapport.customfields.models import CustomFieldDefinition
from rapport.customfields.serializers import (
    ChangeTypeSerializer,
    ConversionReportSerializer,
    DefinitionSerializer,
    custom_serializer_class,
    serializer_field,
)

__all__ = ["CustomFieldViewSet", "custom_serializer_class", "serializer_field"]  # the last two: for record APIs


def _plain(value: Any) -> Any:
    """Serializer output (OrderedDicts, ReturnLists) as plain JSON-able dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def report_data(report: ConversionReport, *, applied: bool) -> dict[str, Any]:
    return {
        "applied": applied,
        "refused": report.refused,
        "total": report.total,
        "converted": report.converted,
        "failure_count": report.failure_count,
        "failures": [vars(f) for f in report.failures],
    }


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("record_type", str, description='Only this record type, e.g. "contacts.contact".')]
    )
)
class CustomFieldViewSet(RecordViewSet):
    """Custom fields of the workspace. Every member reads them; owners and admins manage them."""

    model = CustomFieldDefinition
    serializer_class = DefinitionSerializer
    ordering_fields = ("position", "created_at", "updated_at")
    ordering = ("position",)
    write_capability = "workspace.manage"
    create_capability = "workspace.manage"

    def get_base_queryset(self) -> models.QuerySet:
        queryset = CustomFieldDefinition.objects.all()
        record_type = self.request.query_params.get("record_type")
        if record_type:
            queryset = queryset.filter(record_type=record_type.lower())
        return queryset

    def create_record(self, serializer: DefinitionSerializer) -> CustomFieldDefinition:
        data = _plain(dict(serializer.validated_data))
        record_type = data.pop("record_type")
        return services.definition_create(actor=self.actor, record_type=record_type, data=data)

    def update_record(
        self, record: CustomFieldDefinition, data: dict[str, Any], *, expected_version: int | None
    ) -> CustomFieldDefinition:
        data = _plain(data)
        if data.pop("record_type", record.record_type).lower() != record.record_type:
            raise ValidationError({"record_type": "A field cannot move to another record type."})
        services.definition_update(actor=self.actor, definition=record, data=data, expected_version=expected_version)
        return record

    def delete_record(self, record: CustomFieldDefinition, *, expected_version: int | None) -> None:
        services.definition_delete(actor=self.actor, definition=record, expected_version=expected_version)

    @extend_schema(
        request=ChangeTypeSerializer,
        responses=ConversionReportSerializer,
        description=(
            "Change the field's type. Without `apply` (or with `apply: false`) nothing is written and the "
            "response reports how many values would convert and which records would fail and why. With "
            "`apply: true` the values are converted and the type changed in one transaction; this is refused "
            "when some values fail unless `clear_failures` is true. Impossible changes answer 400 with the reason."
        ),
    )
    @action(detail=True, methods=["post"], url_path="change-type")
    def change_type(self, request: Request, pk: Any = None) -> Response:
        definition = self.get_object()
        expected = self.expected_version(definition)
        serializer = ChangeTypeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        options = _plain(data.get("options") or {})
        if not data["apply"]:
            report = services.definition_preview_type(
                actor=self.actor, definition=definition, new_type=data["field_type"], new_options=options
            )
            return Response(report_data(report, applied=False), headers={"ETag": etag_for(definition)})
        with transaction.atomic():
            report = services.definition_change_type(
                actor=self.actor,
                definition=definition,
                new_type=data["field_type"],
                new_options=options,
                clear_failures=data["clear_failures"],
                expected_version=expected,
            )
        return Response(report_data(report, applied=True), headers={"ETag": etag_for(definition)})
