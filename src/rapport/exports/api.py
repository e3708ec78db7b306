"""/api/v1/exports/: request an export of a contact or company list, follow it, download it."""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rapport.api.serializers import RecordSerializer
from rapport.api.viewsets import RecordViewSet
from rapport.exports import services
from rapport.exports.models import ExportFormat, ExportRun


class ExportRunSerializer(RecordSerializer):
    class Meta:
        model = ExportRun
        fields = [
            "id",
            "version",
            "record_type",
            "format",
            "filters",
            "logic",
            "columns",
            "status",
            "row_count",
            "file_name",
            "message",
            "created_at",
            "owner",
        ]
        read_only_fields = fields


class ExportRequestSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=list(services.MODELS))
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)
    filters = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    logic = serializers.ChoiceField(choices=["and", "or"], default="and")
    columns = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class ExportRunViewSet(RecordViewSet):
    model = ExportRun
    serializer_class = ExportRunSerializer
    http_method_names = ["get", "post", "head", "options"]
    create_capability = "records.export"

    def get_base_queryset(self) -> models.QuerySet:
        return services.visible_exports(self.actor)

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportRunSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = ExportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = services.export_request(actor=self.actor, request=request._request, **payload.validated_data)
        return Response(ExportRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="The exported file.")})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: int):
        from rapport.exports.views import _file_response, own_export

        return _file_response(own_export(self.actor, pk))
