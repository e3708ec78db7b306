"""/api/v1/imports/: upload (multipart), map (PATCH), dry run, start, progress, errors, undo."""

from __future__ import annotations

from django.db import models
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rapport.api.serializers import RecordSerializer
from rapport.api.viewsets import RecordViewSet
from rapport.imports import services
from rapport.imports.mapping import TARGETS
from rapport.imports.models import DedupePolicy, ImportRun


class ImportRunSerializer(RecordSerializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    headers = serializers.ListField(child=serializers.CharField(), read_only=True)
    progress = serializers.SerializerMethodField()
    dedupe_policy = serializers.ChoiceField(choices=DedupePolicy.choices, required=False)
    target = serializers.ChoiceField(choices=list(TARGETS), required=False)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "version",
            "target",
            "file_name",
            "format",
            "encoding",
            "delimiter",
            "header_row",
            "headers",
            "total_rows",
            "mapping",
            "dedupe_key",
            "dedupe_policy",
            "tags",
            "status",
            "progress",
            "message",
            "created_at",
            "owner",
        ]
        read_only_fields = [
            "file_name",
            "format",
            "encoding",
            "delimiter",
            "header_row",
            "total_rows",
            "status",
            "message",
            "created_at",
            "owner",
        ]

    @extend_schema(exclude=True)
    def get_progress(self, run: ImportRun) -> dict:
        return services.progress_of(run)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    target = serializers.ChoiceField(choices=list(TARGETS), required=False)


class ProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    rows_done = serializers.IntegerField()
    total_rows = serializers.IntegerField()
    percent = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="Rows per second.")
    seconds_left = serializers.IntegerField(allow_null=True)
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.IntegerField()
    finished = serializers.BooleanField()


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    level = serializers.CharField()
    reason = serializers.CharField()


class DryRunSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    error = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)
    unmapped_columns = serializers.ListField(child=serializers.CharField())


class UndoSerializer(serializers.Serializer):
    removed = serializers.IntegerField()
    reverted = serializers.IntegerField()
    kept = serializers.ListField(child=serializers.CharField())


class ImportRunViewSet(RecordViewSet):
    model = ImportRun
    serializer_class = ImportRunSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_base_queryset(self) -> models.QuerySet:
        return ImportRun.objects.defer("content")

    def get_serializer_class(self):
        return ImportUploadSerializer if self.action == "create" else ImportRunSerializer

    @extend_schema(request=ImportUploadSerializer, responses={201: ImportRunSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = ImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        if upload.size > services.max_bytes():
            raise serializers.ValidationError(
                {"file": f"The file is larger than the limit of {services.max_bytes() // 1_048_576} MB."}
            )
        run = services.import_upload(
            actor=self.actor, file_name=upload.name, content=upload.read(), target=payload.validated_data.get("target")
        )
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)

    def update_record(self, record: ImportRun, data: dict, *, expected_version: int | None) -> ImportRun:
        return services.import_configure(
            actor=self.actor,
            run=record,
            target=data.get("target"),
            mapping=data.get("mapping"),
            dedupe_key=data.get("dedupe_key"),
            dedupe_policy=data.get("dedupe_policy"),
            tags=data.get("tags"),
        )

    def _run(self, pk: int, change: bool = True) -> ImportRun:
        from rapport.core.permissions import get_visible_or_404

        return get_visible_or_404(ImportRun, self.actor, pk, for_change=change)

    @extend_schema(request=None, responses={200: DryRunSerializer})
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request: Request, pk: int) -> Response:
        return Response(services.import_dry_run(actor=self.actor, run=self._run(pk)))

    @extend_schema(request=None, responses={202: ImportRunSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: int) -> Response:
        run = services.import_start(actor=self.actor, run=self._run(pk))
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: int) -> Response:
        return Response(services.progress_of(self._run(pk, change=False)))

    @extend_schema(request=None, responses={200: UndoSerializer})
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: int) -> Response:
        return Response(services.import_undo(actor=self.actor, run=self._run(pk)))

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="row,column,level,reason")})
    @action(detail=True, methods=["get"], url_path="errors.csv")
    def errors_csv(self, request: Request, pk: int) -> HttpResponse:
        run = self._run(pk, change=False)
        body = services.errors_csv(run.errors or run.dry_run_errors)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
        return response
